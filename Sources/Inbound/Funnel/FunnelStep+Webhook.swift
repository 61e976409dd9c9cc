import Delivery
import Foundation
import JSON

extension FunnelStep {
    /// The funnel step a Novu message event reports; `nil` for events outside the funnel, and for a
    /// message Novu names no transaction, subscriber, workflow or channel of (nothing to count it under).
    /// `keepingUser`: record the subscriber (conversions are configured and look messages up by user).
    package init?(webhook: NovuWebhook, keepingUser: Bool, now: Date = Date()) {
        guard let stage = Self.stage(ofNovuType: webhook.type), let messageId = webhook.message("_id"),
            let transactionId = webhook.message("transactionId"), let userId = webhook.subscriberId,
            let workflow = webhook.workflowId, let channel = webhook.channel
        else { return nil }
        let failure = webhook.data["error"]?["message"]?.stringValue ?? webhook.message("errorText")
        self.init(
            messageId: messageId,
            transactionId: transactionId,
            userId: keepingUser ? userId : nil,
            workflow: workflow,
            channel: channel,
            provider: webhook.message("providerId"),
            stage: stage,
            at: webhook.timestamp.flatMap(Timestamp.parse) ?? now,
            failure: stage == .failed ? String((failure ?? "failed").prefix(200)) : nil
        )
    }
}
