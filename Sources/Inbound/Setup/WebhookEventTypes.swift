/// The event types of Novu's outbound webhooks, and the filter an endpoint of the bridge asks for.
package enum WebhookEventTypes {
    /// Novu's catalogue (`WebhookEventEnum`, packages/shared/src/webhooks/webhook-event.enum.ts; the same
    /// list as the webhook payloads of Novu API 3.15's OpenAPI document).
    package static let catalogue: [String] = [
        "message.sent", "message.failed", "message.delivered", "message.seen", "message.read", "message.unread",
        "message.archived", "message.unarchived", "message.snoozed", "message.unsnoozed", "message.deleted",
        "preference.updated",
        "workflow.created", "workflow.updated", "workflow.deleted", "workflow.published",
        "email.received",
    ]

    /// What an endpoint set up without `--events` receives: the types the bridge maps to Segment events by
    /// default (`FeedbackNames.defaultTable`), message ones and `preference.updated`.
    package static var bridgeDefault: [String] {
        // Only types Novu sends: the table also names the poller's own `message.clicked`.
        FeedbackNames.defaultTable.keys.filter(catalogue.contains).sorted()
    }

    /// A name in `--events` that is not one of Novu's types and matches none of them.
    package struct UnknownType: Error, Sendable, Equatable, CustomStringConvertible {
        package var name: String
        package var description: String {
            "'\(name)' is not a Novu webhook event type (known: \(WebhookEventTypes.catalogue.joined(separator: ", ")))"
        }
    }

    /// `message.*,preference.updated` → the catalogue's types, sorted, each once. A name ending in `*`
    /// matches every known type with the text before it as prefix (`*` alone: every type). An exact name
    /// must be known: a misspelt filter would make an endpoint that never receives what was meant.
    package static func expand(_ text: String) throws(UnknownType) -> [String] {
        var chosen: Set<String> = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == " " }) {
            let name = String(part)
            if name.hasSuffix("*") {
                let prefix = name.dropLast()
                let matches = catalogue.filter { $0.hasPrefix(prefix) }
                guard !matches.isEmpty else { throw UnknownType(name: name) }
                chosen.formUnion(matches)
            } else {
                guard catalogue.contains(name) else { throw UnknownType(name: name) }
                chosen.insert(name)
            }
        }
        guard !chosen.isEmpty else { throw UnknownType(name: text) }
        return chosen.sorted()
    }
}
