import Crypto
import Delivery
import Foundation
import JSON

/// Builds the Segment track event for a Novu webhook (DESIGN §4, "Each event sent to Segment"). Pure.
package enum FeedbackEvent {
    /// The library the bridge announces in `context.library` and `context.integration`. Events with
    /// this library name are ignored by the segment port (loop guard).
    package static let libraryName = "novu-segment-bridge"

    /// What a webhook becomes.
    package enum Outcome: Sendable, Equatable {
        /// A Segment event for this user.
        case track(JSONValue, userId: String, messageId: String)
        /// It maps to an event, but cannot be sent (no subscriber): dead-letter it with this reason.
        case undeliverable(JSONValue, messageId: String, reason: String)
        /// Acknowledged, nothing to send.
        case ignored(reason: String)
    }

    /// `novu-<message _id>-<type>`, stable across Novu's retries; hashed when over Segment's 100 characters.
    package static func messageId(for webhook: NovuWebhook) -> String {
        let subject = webhook.message("_id") ?? webhook.id ?? "unknown"
        let id = "novu-\(subject)-\(webhook.type)"
        guard id.utf8.count > 100 else { return id }
        let digest = SHA256.hash(data: Data(id.utf8)).map { String(format: "%02x", $0) }.joined()
        return "novu-" + digest.prefix(64)
    }

    /// Maps `webhook`. `cause` is the Segment event that triggered the notification, when known.
    package static func make(
        _ webhook: NovuWebhook,
        names: FeedbackNames,
        cause: Correlation?,
        libraryVersion: String
    ) -> Outcome {
        let name: String
        switch names.decide(type: webhook.type, channel: webhook.channel) {
        case .ignored(let reason): return .ignored(reason: reason)
        case .event(let event): name = event
        }
        let messageId = messageId(for: webhook)
        let properties = webhook.type == "preference.updated" ? preferenceProperties(webhook) : messageProperties(webhook, cause: cause)
        let library: JSONValue = ["name": .string(libraryName), "version": .string(libraryVersion)]
        var event: [String: JSONValue] = [
            "type": "track",
            "event": .string(name),
            "messageId": .string(messageId),
            "properties": .object(properties),
            "context": ["library": library, "integration": library],
        ]
        if let timestamp = webhook.timestamp { event["timestamp"] = .string(timestamp) }
        guard let userId = webhook.subscriberId else {
            return .undeliverable(.object(event), messageId: messageId, reason: "no subscriber")
        }
        event["userId"] = .string(userId)
        return .track(.object(event), userId: userId, messageId: messageId)
    }

    private static func messageProperties(_ webhook: NovuWebhook, cause: Correlation?) -> [String: JSONValue] {
        // Room for every key set here and a cause's few: growing from empty would rehash four times.
        var properties = [String: JSONValue](minimumCapacity: 24)
        func set(_ key: String, _ value: String?) {
            if let value { properties[key] = .string(value) }
        }
        let workflow = webhook.workflowId
        let channel = webhook.channel
        set("workflow_id", workflow)
        set("step_id", webhook.message("stepId"))
        set("transaction_id", webhook.message("transactionId"))
        set("channel", channel)
        set("provider_id", webhook.message("providerId"))
        set("novu_message_id", webhook.message("_id"))
        set("status", webhook.message("status"))
        set("environment_id", webhook.environmentId)
        // A failure always says why; a sent message says so only when Novu reported an error with it.
        let error = webhook.data["error"]?["message"]?.stringValue ?? webhook.message("errorText")
        if webhook.type == "message.failed" {
            set("error", error ?? "failed")
        } else if webhook.type == "message.sent" {
            set("error", error)
        }
        if webhook.type == ActivityChange.clicked, let url = webhook.data[ActivityChange.linkKey]?.stringValue {
            set("link_url", url)
        }
        switch channel {
        case "email":
            set("email_id", webhook.message("_id"))
            set("campaign_id", workflow)
            set("campaign_name", workflow)
        case "push":
            var campaign: [String: JSONValue] = ["medium": "Push"]
            if let workflow { campaign["name"] = .string(workflow) }
            if let provider = webhook.message("providerId") { campaign["source"] = .string(provider) }
            properties["campaign"] = .object(campaign)
        default:
            break
        }
        if let cause { properties.merge(cause.eventProperties) { _, cause in cause } }
        return properties
    }

    private static func preferenceProperties(_ webhook: NovuWebhook) -> [String: JSONValue] {
        var properties: [String: JSONValue] = [:]
        if let channels = webhook.object["channels"] { properties["channels"] = channels }
        if let level = webhook.object["level"] { properties["level"] = level }
        if let enabled = webhook.object["enabled"] { properties["enabled"] = enabled }
        if let identifier = webhook.object["workflow"]?["identifier"] { properties["workflow_id"] = identifier }
        if let name = webhook.object["workflow"]?["name"] { properties["workflow_name"] = name }
        if let environment = webhook.environmentId { properties["environment_id"] = .string(environment) }
        return properties
    }
}
