import Delivery
import Foundation

extension FunnelStep {
    /// The funnel step a Novu message event reports; `nil` for events outside the funnel, and for a
    /// message Novu names no transaction, subscriber, workflow or channel of (nothing to count it under).
    public init?(webhook: NovuWebhook, now: Date = Date()) {
        guard let stage = Self.stage(ofNovuType: webhook.type), let messageId = webhook.message("_id"),
            let transactionId = webhook.message("transactionId"), let userId = webhook.subscriberId,
            let workflow = webhook.workflowId, let channel = webhook.channel
        else { return nil }
        let failure = webhook.data["error"]?["message"]?.stringValue ?? webhook.message("errorText")
        self.init(
            messageId: messageId,
            transactionId: transactionId,
            userId: userId,
            workflow: workflow,
            channel: channel,
            provider: webhook.message("providerId"),
            stage: stage,
            at: webhook.timestamp.flatMap(Self.date) ?? now,
            failure: stage == .failed ? String((failure ?? "failed").prefix(200)) : nil
        )
    }

    /// An envelope's timestamp (ISO 8601, with or without fractional seconds).
    static func date(_ text: String) -> Date? {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) ?? (try? Date(text, strategy: .iso8601))
    }
}
