import Foundation

/// A notification transaction to follow: Novu acknowledged a trigger with this `transactionId`, and the
/// activity poller looks at its messages from `firstLookAt` on (DESIGN §10).
public struct Follow: Sendable, Equatable {
    public var transactionId: String
    public var firstLookAt: Date

    public init(transactionId: String, firstLookAt: Date) {
        self.transactionId = transactionId
        self.firstLookAt = firstLookAt
    }
}

/// A followed transaction as the poller reads it.
public struct FollowedTransaction: Sendable, Equatable {
    public var transactionId: String
    /// When it was first followed (Novu acknowledged the trigger).
    public var since: Date
    /// Looks already taken.
    public var looks: Int
    /// When it is due.
    public var nextLookAt: Date

    public init(transactionId: String, since: Date, looks: Int, nextLookAt: Date) {
        self.transactionId = transactionId
        self.since = since
        self.looks = looks
        self.nextLookAt = nextLookAt
    }
}

/// What one look decided for a transaction: look again then, or stop following it, and why.
public struct FollowLook: Sendable, Equatable {
    public enum Next: Sendable, Equatable {
        case lookAgain(at: Date)
        /// No longer followed: `age` (past `NOVU_POLL_MAX_AGE`), `retention` (Novu answered 402).
        case end(reason: String)
    }

    public var transactionId: String
    public var next: Next

    public init(transactionId: String, next: Next) {
        self.transactionId = transactionId
        self.next = next
    }
}

/// One poll round's results, committed in one transaction: a crash before it leaves the round undone
/// (the next round sees the same changes), a crash after it leaves nothing to repeat.
public struct PollCommit: Sendable {
    /// The Segment events the changes became.
    public var jobs: [NewJob]
    /// Novu message id → the change types emitted for it so far (the new total), with its transaction.
    public var emitted: [String: (transactionId: String, types: Set<String>)]
    public var looks: [FollowLook]

    public init(jobs: [NewJob] = [], emitted: [String: (transactionId: String, types: Set<String>)] = [:], looks: [FollowLook] = []) {
        self.jobs = jobs
        self.emitted = emitted
        self.looks = looks
    }
}

/// What the store knows of the poller, for `/readyz`, `/metrics` and `bridge doctor`.
public struct FollowFigures: Sendable, Equatable {
    /// Transactions still followed.
    public var followed: Int
    /// The earliest look still owed; `nil` when nothing is followed.
    public var nextLookAt: Date?
    /// How many looks ended each way (`age`, `retention`).
    public var ended: [String: Int]

    public init(followed: Int = 0, nextLookAt: Date? = nil, ended: [String: Int] = [:]) {
        self.followed = followed
        self.nextLookAt = nextLookAt
        self.ended = ended
    }
}

/// The poller's durable state. Follows are recorded by `DeliveryStore.settle` (a `Settlement.follow`).
public protocol FollowStore: Sendable {
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
