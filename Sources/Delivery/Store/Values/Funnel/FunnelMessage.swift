import Foundation

/// One Novu message with the first time of each stage it reached.
package struct FunnelMessage: Sendable, Equatable {
    package var messageId: String
    package var transactionId: String
    /// Kept only with conversions configured (see `FunnelStep.userId`).
    package var userId: String?
    package var workflow: String
    package var channel: String
    package var provider: String?
    package var firstSeenAt: Date
    package var sentAt: Date?
    package var deliveredAt: Date?
    package var openedAt: Date?
    package var clickedAt: Date?
    package var failedAt: Date?
    package var failure: String?
    /// The first conversion credited to this message.
    package var convertedAt: Date?

    package init(
        messageId: String,
        transactionId: String,
        userId: String?,
        workflow: String,
        channel: String,
        provider: String? = nil,
        firstSeenAt: Date,
        sentAt: Date? = nil,
        deliveredAt: Date? = nil,
        openedAt: Date? = nil,
        clickedAt: Date? = nil,
        failedAt: Date? = nil,
        failure: String? = nil,
        convertedAt: Date? = nil
    ) {
        self.messageId = messageId
        self.transactionId = transactionId
        self.userId = userId
        self.workflow = workflow
        self.channel = channel
        self.provider = provider
        self.firstSeenAt = firstSeenAt
        self.sentAt = sentAt
        self.deliveredAt = deliveredAt
        self.openedAt = openedAt
        self.clickedAt = clickedAt
        self.failedAt = failedAt
        self.failure = failure
        self.convertedAt = convertedAt
    }

    /// When a conversion window starts: delivery, or sending when the channel reports no delivery.
    package var windowStart: Date? { deliveredAt ?? sentAt }
}
