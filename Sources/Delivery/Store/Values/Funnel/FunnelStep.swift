import Foundation

/// One stage a Novu message reached, as a feedback event (webhook or poll) reported it: the funnel
/// keeps the first time of each stage per message (DESIGN §11).
package struct FunnelStep: Sendable, Equatable {
    package enum Stage: String, Sendable, CaseIterable, Codable {
        case sent, delivered, opened, clicked, failed
    }

    package var messageId: String
    package var transactionId: String
    /// The subscriber; kept only where conversions need it (`nil` otherwise: the user index costs every
    /// feedback event a write).
    package var userId: String?
    package var workflow: String
    package var channel: String
    package var provider: String?
    package var stage: Stage
    package var at: Date
    /// Why it failed (`failed` only).
    package var failure: String?

    package init(
        messageId: String,
        transactionId: String,
        userId: String?,
        workflow: String,
        channel: String,
        provider: String?,
        stage: Stage,
        at: Date,
        failure: String? = nil
    ) {
        self.messageId = messageId
        self.transactionId = transactionId
        self.userId = userId
        self.workflow = workflow
        self.channel = channel
        self.provider = provider
        self.stage = stage
        self.at = at
        self.failure = failure
    }

    /// The stage a Novu event type stands for; `nil` for types outside the funnel. `seen` and `read`
    /// are both an open: the first of them counts.
    package static func stage(ofNovuType type: String) -> Stage? {
        switch type {
        case "message.sent": .sent
        case "message.delivered": .delivered
        case "message.seen", "message.read": .opened
        case "message.clicked": .clicked
        case "message.failed": .failed
        default: nil
        }
    }
}
