import Foundation
import JSON

/// A delivery job to be queued: one request-to-be for one destination.
package struct NewJob: Sendable {
    /// Which destination sends it (`novu`, `segment`): the relay runs one lane per destination.
    package var destination: String
    /// Jobs with the same key for the same destination are sent strictly in queue order (the user).
    package var orderingKey: String
    /// A short label for operators (`trigger`, `subscriber.upsert`, …).
    package var kind: String
    /// What the destination needs to build the request; opaque to the store.
    package var payload: Data
    /// The event that caused the job, kept for the dead-letter queue.
    package var event: Data?
    /// Keys that identify the source event. If any was seen before, the job is a duplicate and not queued.
    package var dedupeKeys: [String]
    /// Recorded with the job, so the other direction can link feedback to its cause. Its transaction also
    /// identifies the job: a job whose transaction is already recorded is a duplicate, so a correlated job
    /// needs no dedupe key of its own (each key costs the commit another index page; see decisions.md).
    package var correlation: Correlation?
    /// When set, the job goes straight to the dead-letter queue with this reason (it can never be sent,
    /// but must not be dropped silently either).
    package var deadLetterReason: String?
    /// Recorded with the job (not with a duplicate), for the funnel: the stage of a Novu message this
    /// feedback event reports.
    package var step: FunnelStep?

    package init(
        destination: String,
        orderingKey: String,
        kind: String,
        payload: Data,
        event: Data? = nil,
        dedupeKeys: [String] = [],
        correlation: Correlation? = nil,
        deadLetterReason: String? = nil,
        step: FunnelStep? = nil
    ) {
        self.step = step
        self.destination = destination
        self.orderingKey = orderingKey
        self.kind = kind
        self.payload = payload
        self.event = event
        self.dedupeKeys = dedupeKeys
        self.correlation = correlation
        self.deadLetterReason = deadLetterReason
    }
}

/// What became of one job handed to `enqueue`.
package enum EnqueueResult: Sendable, Equatable {
    /// Committed under this id.
    case accepted(Int64)
    /// One of its dedupe keys, or its correlation's transaction, was committed before; nothing was queued.
    case duplicate
}

/// Links a notification transaction to the Segment event that caused it.
package struct Correlation: Sendable, Equatable {
    package var transactionId: String
    package var eventName: String
    package var messageId: String
    package var userId: String
    package var workflow: String
    /// The Novu trigger `context` the transaction was sent with (a rule's `context:`); `nil` for none,
    /// which stores nothing.
    package var context: [String: JSONValue]?

    package init(
        transactionId: String,
        eventName: String,
        messageId: String,
        userId: String,
        workflow: String,
        context: [String: JSONValue]? = nil
    ) {
        self.transactionId = transactionId
        self.eventName = eventName
        self.messageId = messageId
        self.userId = userId
        self.workflow = workflow
        self.context = context
    }
}

/// A job claimed by the relay for one attempt.
package struct ClaimedJob: Sendable, Equatable {
    package var id: Int64
    package var destination: String
    package var orderingKey: String
    package var kind: String
    package var payload: Data
    /// Attempts made before this one.
    package var attempts: Int
    package var createdAt: Date
    package var firstAttemptAt: Date?
    /// The status of the previous attempt's answer; `nil` when there was none (or no attempt).
    package var lastStatus: Int?
    /// The idempotency key the previous attempt sent.
    package var lastAttemptKey: String?

    package init(
        id: Int64,
        destination: String,
        orderingKey: String,
        kind: String,
        payload: Data,
        attempts: Int = 0,
        createdAt: Date = Date(),
        firstAttemptAt: Date? = nil,
        lastStatus: Int? = nil,
        lastAttemptKey: String? = nil
    ) {
        self.id = id
        self.destination = destination
        self.orderingKey = orderingKey
        self.kind = kind
        self.payload = payload
        self.attempts = attempts
        self.createdAt = createdAt
        self.firstAttemptAt = firstAttemptAt
        self.lastStatus = lastStatus
        self.lastAttemptKey = lastAttemptKey
    }
}

/// One attempt's record, kept with the job.
package struct AttemptRecord: Sendable, Equatable, Codable {
    package var at: Date
    /// The answer's status; `nil` when there was no answer.
    package var status: Int?
    /// Why it did not succeed, or `delivered`.
    package var reason: String
    /// The first 2 KB of the answer.
    package var response: String?
    /// The idempotency key the attempt sent.
    package var attemptKey: String?
    /// The request as sent (secrets redacted), for the dead-letter queue.
    package var request: String?

    package init(
        at: Date,
        status: Int?,
        reason: String,
        response: String? = nil,
        attemptKey: String? = nil,
        request: String? = nil
    ) {
        self.at = at
        self.status = status
        self.reason = reason
        self.response = response
        self.attemptKey = attemptKey
        self.request = request
    }
}

/// The end of one claim.
package struct Settlement: Sendable, Equatable {
    package enum Outcome: Sendable, Equatable {
        /// The destination has it.
        case delivered
        /// Dry run: the request was logged, not sent.
        case dryRun
        /// Try again at this time; the attempt counts.
        case retry(at: Date)
        /// The destination refused our credentials: keep the job, look again at this time. Does not
        /// count as an attempt, so a long hold never exhausts a job.
        case hold(until: Date)
        /// Give up: into the dead-letter queue with this reason.
        case deadLetter(reason: String)
        /// Not attempted after all (shutdown): back to the queue unchanged.
        case release
    }

    package var jobId: Int64
    package var outcome: Outcome
    package var attempt: AttemptRecord?
    /// Recorded with a `delivered` outcome, in the same transaction: the transaction to follow.
    package var follow: Follow?
    /// Recorded with a `delivered` outcome, in the same transaction: the transaction of a trigger Novu
    /// acknowledged, for the funnel (and its `Notification Triggered`).
    package var acknowledged: String?

    package init(jobId: Int64, outcome: Outcome, attempt: AttemptRecord? = nil, follow: Follow? = nil, acknowledged: String? = nil) {
        self.jobId = jobId
        self.outcome = outcome
        self.attempt = attempt
        self.follow = follow
        self.acknowledged = acknowledged
    }
}

/// The store could not do what was asked; ingest answers 503 for this.
package struct StoreError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

/// The durable queue behind both directions.
///
/// A protocol because a PostgreSQL store (several replicas sharing one queue) and an in-memory one
/// are planned; the relay and the HTTP routes see only this.
package protocol DeliveryStore: Sendable {
    /// Commits `jobs` (skipping duplicates) and returns only once they are durable. Concurrent
    /// callers share one transaction and one flush.
    func enqueue(_ jobs: [NewJob]) async throws -> [EnqueueResult]

    /// Commits `jobs` like `enqueue(_:)` and records `binding` in the same transaction (also when `jobs`
    /// is empty); throws `BindingConflict`, committing nothing, when its key is bound to another value.
    /// A binding lives as long as a dedupe key (`BRIDGE_RETENTION`).
    func enqueue(_ jobs: [NewJob], binding: KeyBinding) async throws -> [EnqueueResult]

    /// Claims up to `limit` due jobs of `destination`, at most one per ordering key and only the oldest
    /// open job of each key, so a user's jobs go out in order.
    func claim(destination: String, limit: Int, now: Date) async throws -> [ClaimedJob]

    /// Ends claims.
    func settle(_ settlements: [Settlement]) async throws

    /// Releases every claim still held (claims of a process that died). Called once at start.
    func releaseAllClaims() async throws -> Int

    /// When the next unclaimed job of `destination` becomes due; `nil` when none is queued.
    func nextDue(destination: String) async throws -> Date?

    /// How far past `now` the latest due time of a waiting job of `destination` that was never attempted
    /// (nor held) lies; `nil` when none is past `now`. Such a job was due when it was queued, so only a wall clock
    /// that went back since can put it in the future, by at least this much.
    func scheduleSkew(destination: String, now: Date) async throws -> TimeInterval?

    /// The wall clock went back by `seconds`: moves each due time later than now of the waiting jobs of
    /// `destinations` back by as much, in one transaction, so none waits for the clock to catch up. A job
    /// whose last attempt lies between `settledSince` and now is left alone: its due time was computed
    /// from the clock as set back. `now` is read inside the transaction, so a settlement that commits
    /// just before it is left alone too. Returns how many moved.
    func moveSchedule(
        destinations: [String],
        back seconds: TimeInterval,
        now: @escaping @Sendable () -> Date,
        settledSince: Date?
    ) async throws -> Int

    /// The correlation recorded for `transactionId`, if any.
    func correlation(transactionId: String) async throws -> Correlation?

    /// Looks up the correlation of `transactionId` and commits the job `decide` makes of it (if any),
    /// in one transaction: the feedback path pays for no separate read. `decide` runs on the store's
    /// writer, so it must be quick and pure; what it notes comes back with the result.
    func enqueue<Note: Sendable>(
        correlating transactionId: String?,
        _ decide: @escaping @Sendable (Correlation?) -> (job: NewJob?, note: Note)
    ) async throws -> (note: Note, result: EnqueueResult?)

    /// Throws unless the store can commit a write right now (readiness).
    func probe() async throws

    /// Records a destination's hold state, so other processes (`bridge stats`) can see it.
    func recordDestinationState(name: String, held: Bool, reason: String?) async throws
}

extension DeliveryStore {
    /// A lookup, then an enqueue: for stores that cannot do both in one transaction.
    package func enqueue<Note: Sendable>(
        correlating transactionId: String?,
        _ decide: @escaping @Sendable (Correlation?) -> (job: NewJob?, note: Note)
    ) async throws -> (note: Note, result: EnqueueResult?) {
        let cause = try await transactionId.asyncMap { try await correlation(transactionId: $0) } ?? nil
        let (job, note) = decide(cause)
        guard let job else { return (note, nil) }
        return (note, try await enqueue([job]).first)
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
