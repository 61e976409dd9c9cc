import Delivery
import Foundation
import JSON

/// Reads an email provider's events (opens, clicks, deliveries) out of Novu's activity feed
/// (`GET /v1/notifications?transactionId=…`): Novu records each provider webhook it receives as an
/// execution detail of the message's job, with `source: "Webhook"`, `detail: "<response> - (<status>)"`
/// and the provider's row as `raw` (apps/webhook, `CreateExecutionDetails`). Pure.
package enum ProviderEvents {
    /// The provider statuses the poller turns into changes, and the change each one is.
    static let changeTypes: [String: String] = [
        "opened": "message.seen", "clicked": ActivityChange.clicked, "delivered": "message.delivered",
    ]

    /// Novu message id → the changes its provider reported, first of each type only, for the messages
    /// in `messages` (the transaction's, from `GET /v1/messages`) that `notifications` (the feed's `data`)
    /// has provider events for.
    package static func changes(notifications: [JSONValue], messages: [[String: JSONValue]]) -> [String: [ActivityChange]] {
        var found: [String: [ActivityChange]] = [:]
        for notification in notifications {
            let notificationId = notification["_id"]?.stringValue
            for job in notification["jobs"]?.arrayValue ?? [] where job["type"]?.stringValue == "email" {
                guard let messageId = message(for: job, notificationId: notificationId, in: messages) else { continue }
                for detail in job["executionDetails"]?.arrayValue ?? [] where detail["source"]?.stringValue == "Webhook" {
                    guard let status = status(of: detail), let type = changeTypes[status] else { continue }
                    guard !(found[messageId] ?? []).contains(where: { $0.type == type }) else { continue }
                    let link = type == ActivityChange.clicked ? self.link(in: detail) : nil
                    found[messageId, default: []].append(
                        ActivityChange(type: type, at: detail["createdAt"]?.stringValue, link: link)
                    )
                }
            }
        }
        return found
    }

    /// The message a job sent: the one naming the job (`_jobId`), else the only email message of the
    /// job's notification. Several candidates and no `_jobId`: none, rather than a guess.
    static func message(for job: JSONValue, notificationId: String?, in messages: [[String: JSONValue]]) -> String? {
        if let jobId = job["_id"]?.stringValue,
            let named = messages.first(where: { $0["_jobId"]?.stringValue == jobId })
        {
            return named["_id"]?.stringValue
        }
        let candidates = messages.filter {
            $0["channel"]?.stringValue == "email" && (notificationId == nil || $0["_notificationId"]?.stringValue == notificationId)
        }
        guard candidates.count == 1 else { return nil }
        return candidates[0]["_id"]?.stringValue
    }

    /// The provider's status: the `(status)` that ends `detail`, else the `event` of the raw row.
    static func status(of detail: JSONValue) -> String? {
        if let text = detail["detail"]?.stringValue, text.hasSuffix(")"), let open = text.lastIndex(of: "(") {
            let status = text[text.index(after: open)..<text.index(before: text.endIndex)]
            if !status.isEmpty { return status.lowercased() }
        }
        guard let row = raw(detail), let event = row["event"]?.stringValue ?? row["eventType"]?.stringValue else { return nil }
        switch event.lowercased() {
        case "open": return "opened"
        case "click": return "clicked"
        default: return event.lowercased()
        }
    }

    /// The clicked link in the provider's raw row (SendGrid `url`, Mailgun `url`, SES `click.link`, …).
    static func link(in detail: JSONValue) -> String? {
        guard let row = raw(detail) else { return nil }
        return row["url"]?.stringValue ?? row["link"]?.stringValue ?? row["click"]?["link"]?.stringValue
            ?? row["Click"]?["Link"]?.stringValue
    }

    private static func raw(_ detail: JSONValue) -> JSONValue? {
        guard let text = detail["raw"]?.stringValue else { return detail["raw"]?.objectValue.map(JSONValue.object) }
        return try? JSONValue.parse(Array(text.utf8))
    }
}
