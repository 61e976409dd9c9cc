import Delivery
import JSON

/// One change the activity poller saw on a Novu message, named as the webhook of the same change is
/// (`message.delivered`, …), so it goes through the same mapper and gets the same Segment `messageId`.
/// Pure: the poller reads Novu, this decides what is new.
package struct ActivityChange: Sendable, Equatable {
    /// The Novu event type.
    package var type: String
    /// When it happened, as Novu wrote it; `nil` when Novu does not say.
    package var at: String?
    /// The clicked link, for `message.clicked`.
    package var link: String?

    package init(type: String, at: String?, link: String? = nil) {
        self.type = type
        self.at = at
        self.link = link
    }

    /// Bridge-internal type of a provider's click event.
    package static let clicked = "message.clicked"
    /// Where a synthesized envelope carries the clicked link (beside `data.object`).
    package static let linkKey = "linkUrl"

    /// The changes a message from `GET /v1/messages` shows that are not in `emitted` yet, in the order
    /// they happened: sent (or failed), delivered, seen, read.
    package static func changes(message: [String: JSONValue], emitted: Set<String>) -> [ActivityChange] {
        func text(_ key: String) -> String? {
            guard let value = message[key]?.scalarText, !value.isEmpty else { return nil }
            return value
        }
        var found: [ActivityChange] = []
        // Novu's message status is `sent`, `warning` or `error`: an error is the whole story of the message.
        if text("status") == "error" {
            found.append(ActivityChange(type: "message.failed", at: text("updatedAt") ?? text("createdAt")))
        } else {
            found.append(ActivityChange(type: "message.sent", at: text("createdAt")))
            // `deliveredAt` is a list: a snoozed message is delivered again when it wakes. The first counts.
            if let delivered = message["deliveredAt"]?.arrayValue, let first = delivered.first {
                found.append(ActivityChange(type: "message.delivered", at: first.scalarText))
            }
            if message["seen"]?.boolValue == true || text("lastSeenDate") != nil {
                found.append(ActivityChange(type: "message.seen", at: text("lastSeenDate")))
            }
            if message["read"]?.boolValue == true || text("lastReadDate") != nil {
                found.append(ActivityChange(type: "message.read", at: text("lastReadDate")))
            }
        }
        return found.filter { !emitted.contains($0.type) }
    }

    /// Whether a look at the provider events of a message (`GET /v1/notifications`) could still find
    /// something: an email not yet seen to be opened and clicked.
    package static func wantsProviderEvents(message: [String: JSONValue], emitted: Set<String>) -> Bool {
        message["channel"]?.stringValue?.lowercased() == "email" && message["status"]?.stringValue != "error"
            && !(emitted.contains("message.seen") && emitted.contains(clicked))
    }
}
