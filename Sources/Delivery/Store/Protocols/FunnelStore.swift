import Foundation
import JSON

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

/// A trigger Novu acknowledged, as the funnel keeps it.
package struct FunnelTrigger: Sendable, Equatable {
    package var transactionId: String
    package var userId: String
    package var workflow: String
    package var triggerEvent: String
    package var triggerMessageId: String
    package var triggeredAt: Date
    /// The Novu trigger `context` (a rule's `context:`), when it had one.
    package var context: [String: JSONValue]?
    /// Its place in the order triggers were recorded (the announcer's cursor); 0 when not read from there.
    package var position: Int64 = 0

    package init(
        transactionId: String,
        userId: String,
        workflow: String,
        triggerEvent: String,
        triggerMessageId: String,
        triggeredAt: Date,
        context: [String: JSONValue]? = nil,
        position: Int64 = 0
    ) {
        self.context = context
        self.position = position
        self.transactionId = transactionId
        self.userId = userId
        self.workflow = workflow
        self.triggerEvent = triggerEvent
        self.triggerMessageId = triggerMessageId
        self.triggeredAt = triggeredAt
    }
}

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

/// A conversion credited to one message of one transaction: recorded once per (transaction, goal).
package struct FunnelConversion: Sendable, Equatable {
    package var transactionId: String
    package var goal: String
    package var messageId: String
    package var workflow: String
    package var convertedAt: Date
    package var value: Double?

    package init(transactionId: String, goal: String, messageId: String, workflow: String, convertedAt: Date, value: Double? = nil) {
        self.transactionId = transactionId
        self.goal = goal
        self.messageId = messageId
        self.workflow = workflow
        self.convertedAt = convertedAt
        self.value = value
    }
}

/// The funnel facts of a period: the triggers acknowledged in it, and their messages.
package struct FunnelFacts: Sendable, Equatable {
    package var triggers: [FunnelTrigger]
    package var messages: [FunnelMessage]

    package init(triggers: [FunnelTrigger] = [], messages: [FunnelMessage] = []) {
        self.triggers = triggers
        self.messages = messages
    }
}

/// What a conversion step commits in one transaction: the Segment events it makes and the conversions
/// they stand for (none when the event is switched off). A conversion already recorded for its (transaction, goal) is skipped with its job.
package struct ConversionCommit: Sendable {
    package var conversions: [(conversion: FunnelConversion, job: NewJob?)]

    package init(conversions: [(conversion: FunnelConversion, job: NewJob?)] = []) {
        self.conversions = conversions
    }
}

/// The funnel's side of the store. Steps are logged with the feedback jobs that report them (`NewJob.step`)
/// and folded into messages in batches; triggers are recorded when their job settles.
package protocol FunnelStore: Sendable {
    /// Folds logged steps into the messages' rows (see `SQLiteStore.foldFunnelSteps`); returns how many.
    /// The facts below are as of the last fold: a reader that needs the latest folds first.
    @discardableResult
    func foldFunnelSteps(limit: Int) async throws -> Int

    /// The facts of triggers acknowledged in `from..<to`, with their messages.
    func funnelFacts(from: Date, to: Date) async throws -> FunnelFacts

    /// `userId`'s messages first seen after `since` (recorded with their user: conversions configured), and
    /// the causes of their transactions (from the correlations, kept past the longest window).
    func conversionCandidates(userId: String, since: Date) async throws -> (messages: [FunnelMessage], triggers: [String: FunnelTrigger])

    /// Records conversions and queues their events, in one transaction; returns the conversions recorded
    /// now (the others were recorded before).
    func commit(_ conversions: ConversionCommit) async throws -> [FunnelConversion]

    /// Up to `limit` acknowledged triggers whose `Notification Triggered` is not queued yet, in the order
    /// they were recorded.
    func unannouncedTriggers(limit: Int) async throws -> [FunnelTrigger]

    /// Queues the announcements (`Notification Triggered`) and moves the cursor to `position` (the last
    /// trigger they announce), in one transaction.
    func announce(_ jobs: [NewJob], through position: Int64) async throws -> [EnqueueResult]
}

extension FunnelStore {
    /// Folds every logged step, 250 to a transaction: ingest's commits take turns with the fold's on the
    /// one writer, so a second's backlog of steps does not hold a webhook's answer for tens of milliseconds.
    package func foldAllFunnelSteps() async throws {
        while try await foldFunnelSteps(limit: 250) == 250 {}
    }
}
