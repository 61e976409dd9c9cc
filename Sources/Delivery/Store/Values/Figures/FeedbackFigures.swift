import Foundation

/// What came back from Novu lately, as `bridge doctor` reads it from the store.
package struct FeedbackFigures: Sendable, Equatable {
    /// Novu triggers settled delivered since then.
    package var triggersDelivered = 0
    /// When the newest webhook was taken, of those whose id is still remembered.
    package var lastWebhookAt: Date?
    /// Feedback events queued since then, by the Novu envelope they came from: `type/channel` → count
    /// (`message.sent/email`), webhooks and the poller's changes alike.
    package var feedback: [String: Int] = [:]

    package init(triggersDelivered: Int = 0, lastWebhookAt: Date? = nil, feedback: [String: Int] = [:]) {
        self.triggersDelivered = triggersDelivered
        self.lastWebhookAt = lastWebhookAt
        self.feedback = feedback
    }
}
