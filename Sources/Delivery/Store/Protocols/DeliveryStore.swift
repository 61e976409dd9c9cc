import Foundation

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

    /// The correlation recorded for `transactionId`, if any. A read: the feedback path asks before it
    /// decides the job a webhook becomes, then queues that job as a plain value.
    func correlation(transactionId: String) async throws -> Correlation?

    /// Throws unless the store can commit a write right now (readiness).
    func probe() async throws

    /// Records a destination's hold state, so other processes (`bridge stats`) can see it.
    func recordDestinationState(name: String, held: Bool, reason: String?) async throws
}
