import Foundation

/// The durable queue behind both directions, as ingest and the relay use it: jobs in, due jobs out,
/// and the end of each claim. Nothing else: operators' and background work is `StoreMaintenance`.
///
/// A protocol because the SQLite store has company: an in-memory store for tests, and a PostgreSQL one
/// (several replicas sharing one queue, `PostgresStore`). Every store keeps the same rules, held to by one conformance
/// suite (`StoreConformanceTests`):
/// - Jobs of one destination and ordering key go out in queue order: a claim takes only the oldest open
///   job of a key, and only while no job of that key is claimed.
/// - A job whose dedupe key, or correlation transaction, was committed before is a duplicate and is not
///   queued (DESIGN §5: effectively once).
/// - Every write returns only once it is durable, so an acknowledged event is never lost.
package protocol DeliveryQueue: Sendable {
    /// Commits `jobs` (skipping duplicates), with `binding` when there is one, and returns only once they
    /// are durable; concurrent callers may share one commit. With a binding the commit happens also when
    /// `jobs` is empty, and throws `BindingConflict`, committing nothing, when its key is bound to another
    /// value. A binding lives as long as a dedupe key (`BRIDGE_RETENTION`).
    func enqueue(_ jobs: [NewJob], binding: KeyBinding?) async throws -> [EnqueueResult]

    /// Claims up to `limit` jobs of `destination` due at `now`, earliest due first: at most one per ordering
    /// key and only the oldest open job of each key, so a user's jobs go out in order.
    func claim(destination: String, limit: Int, now: Date) async throws -> [ClaimedJob]

    /// Ends claims (see `Settlement.Outcome`). When a job leaves the queue the next of its key becomes
    /// claimable; if it was never attempted it is due at once, whatever the wall clock did meanwhile.
    func settle(_ settlements: [Settlement]) async throws

    /// Releases the claims of a process that died, returning how many. Called once at start. A store of
    /// one process releases every claim; a store replicas share releases its own and those whose lease
    /// ran out, never a live replica's.
    func releaseAllClaims() async throws -> Int

    /// When the next claimable job of `destination` becomes due; `nil` when none is queued.
    func nextDue(destination: String) async throws -> Date?
}

extension DeliveryQueue {
    /// Commits `jobs` with no binding (see `enqueue(_:binding:)`).
    package func enqueue(_ jobs: [NewJob]) async throws -> [EnqueueResult] {
        try await enqueue(jobs, binding: nil)
    }
}
