import Foundation

/// Everything a store does besides queueing: pruning, the dead-letter queue, the figures operators and
/// gauges read, repairing the schedule after the wall clock went back, the destinations' hold state and
/// readiness. The background services and the relay's bookkeeping take this, never a concrete store.
package protocol StoreMaintenance: DeadLetterQueue {
    /// Deletes, as of `now`, delivered (and dry-run) jobs settled and dedupe keys (bindings too) recorded
    /// more than `retention` ago; dead letters dead-lettered more than `deadLetterRetention` ago, with
    /// their attempts; correlations, and the follows of their transactions, older than the longer of
    /// `correlationRetention` and `retention` (a correlation is also its job's dedupe entry). Queued jobs
    /// are never pruned. Deletes in batches of `batchSize` rows, each its own short write, so ingest never
    /// waits behind a long delete.
    func prune(
        now: Date,
        retention: Duration,
        correlationRetention: Duration,
        deadLetterRetention: Duration,
        batchSize: Int
    ) async throws -> PruneResult

    /// Per destination, as of `now`: the queued jobs and the age of the oldest (by queue order). Cheap
    /// enough for gauges read every few seconds.
    func queueFigures(now: Date, destinations: [String]) async throws -> [QueueFigures]

    /// Per destination, as of `now`: the queue figures, the last hour's and day's deliveries, failed
    /// attempts (retries and holds) and dead letters, and the recorded hold state.
    func stats(now: Date, destinations: [String]) async throws -> [DestinationStats]

    /// How far past `now` the latest due time of a claimable job of `destination` that was never attempted
    /// (nor held) lies; `nil` when none is past `now`. Such a job was due when it was queued, so only a wall
    /// clock that went back since can put it in the future, by at least this much.
    func scheduleSkew(destination: String, now: Date) async throws -> TimeInterval?

    /// The wall clock went back by `seconds`: moves each due time later than now of the claimable jobs of
    /// `destinations` back by as much, in one write, so none waits for the clock to catch up. A job whose
    /// last attempt lies between `settledSince` and now (both included) is left alone: its due time was
    /// computed from the clock as set back. Without `settledSince` every such due time moves. `now` is read
    /// inside the write, so a settlement that commits just before it is left alone too. Returns how many
    /// moved.
    func moveSchedule(
        destinations: [String],
        back seconds: TimeInterval,
        now: @escaping @Sendable () -> Date,
        settledSince: Date?
    ) async throws -> Int

    /// Records a destination's hold state, so other processes (`bridge stats`) can see it.
    func recordDestinationState(name: String, held: Bool, reason: String?) async throws

    /// Commits one small write, so the store's write path learns whether it can commit now (readiness);
    /// throws when it cannot.
    func probe() async throws

    /// The bytes the store holds, as `BRIDGE_MAX_STORE_BYTES` counts them (see `StoreCapacity`).
    func storeBytes() async throws -> Int64
}
