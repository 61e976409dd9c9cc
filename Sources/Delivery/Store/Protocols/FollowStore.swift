import Foundation

/// A notification transaction to follow: Novu acknowledged a trigger with this `transactionId`, and the
/// activity poller looks at its messages from `firstLookAt` on (DESIGN §10).
package struct Follow: Sendable, Equatable {
    package var transactionId: String
    package var firstLookAt: Date

    package init(transactionId: String, firstLookAt: Date) {
        self.transactionId = transactionId
        self.firstLookAt = firstLookAt
    }
}

/// A followed transaction as the poller reads it.
package struct FollowedTransaction: Sendable, Equatable {
    package var transactionId: String
    /// When it was first followed (Novu acknowledged the trigger).
    package var since: Date
    /// Looks already taken.
    package var looks: Int
    /// When it is due.
    package var nextLookAt: Date

    package init(transactionId: String, since: Date, looks: Int, nextLookAt: Date) {
        self.transactionId = transactionId
        self.since = since
        self.looks = looks
        self.nextLookAt = nextLookAt
    }
}

/// What one look decided for a transaction: look again then, or stop following it, and why.
package struct FollowLook: Sendable, Equatable {
    package enum Next: Sendable, Equatable {
        case lookAgain(at: Date)
        /// No longer followed: `age` (past `NOVU_POLL_MAX_AGE`), `retention` (Novu answered 402).
        case end(reason: String)
    }

    package var transactionId: String
    package var next: Next

    package init(transactionId: String, next: Next) {
        self.transactionId = transactionId
        self.next = next
    }
}

/// One poll round's results, committed in one transaction: a crash before it leaves the round undone
/// (the next round sees the same changes), a crash after it leaves nothing to repeat.
package struct PollCommit: Sendable {
    /// The Segment events the changes became.
    package var jobs: [NewJob]
    /// Novu message id → the change types emitted for it so far (the new total), with its transaction.
    package var emitted: [String: (transactionId: String, types: Set<String>)]
    package var looks: [FollowLook]

    package init(jobs: [NewJob] = [], emitted: [String: (transactionId: String, types: Set<String>)] = [:], looks: [FollowLook] = []) {
        self.jobs = jobs
        self.emitted = emitted
        self.looks = looks
    }
}

/// What the store knows of the poller, for `/readyz`, `/metrics` and `bridge doctor`.
package struct FollowFigures: Sendable, Equatable {
    /// Transactions still followed.
    package var followed: Int
    /// The earliest look still owed; `nil` when nothing is followed.
    package var nextLookAt: Date?
    /// How many looks ended each way (`age`, `retention`).
    package var ended: [String: Int]

    package init(followed: Int = 0, nextLookAt: Date? = nil, ended: [String: Int] = [:]) {
        self.followed = followed
        self.nextLookAt = nextLookAt
        self.ended = ended
    }
}

/// The poller's durable state. Follows are recorded by `DeliveryStore.settle` (a `Settlement.follow`).
package protocol FollowStore: Sendable {
    /// Up to `limit` followed transactions due at `now`, earliest first.
    func dueFollows(now: Date, limit: Int) async throws -> [FollowedTransaction]

    /// The change types already emitted for the messages of `transactionIds`: message id → types.
    func emittedChanges(transactionIds: [String]) async throws -> [String: Set<String>]

    /// The correlations recorded for `transactionIds`.
    func correlations(transactionIds: [String]) async throws -> [String: Correlation]

    /// Commits a round: queues `jobs` (duplicates skipped as in `enqueue`), records what was emitted and
    /// the looks, all in one transaction.
    func commit(_ round: PollCommit) async throws -> [EnqueueResult]

    /// When the earliest look still owed is due; `nil` when nothing is followed. One index step.
    func nextFollowLook() async throws -> Date?

    func followFigures() async throws -> FollowFigures
}
