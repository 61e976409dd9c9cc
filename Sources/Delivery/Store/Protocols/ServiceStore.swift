import Foundation

/// Everything the running service asks of its store: the queue and its upkeep, the poller's and the
/// funnel's state, and what readiness reads without a write. `SQLiteStore` (one process, embedded) and
/// `PostgresStore` (several replicas on one database) are the two; `ResilientStore` opens either.
package protocol ServiceStore: DeliveryQueue, CorrelationLookup, StoreMaintenance, FollowStore, FunnelStore {
    /// What the latest write learned (readiness reads it; reads nothing from the store).
    var lastCommit: CommitOutcome { get }

    /// Why the store is about to run out of room, or `nil`; cheap, writes nothing.
    func lowDiskProblem() -> String?

    /// Reads `FeedbackFigures` since `since` (`bridge doctor`). `webhookKeyPrefix` is the dedupe-key
    /// prefix of a webhook id (`novu-webhook:`).
    func feedbackFigures(since: Date, webhookKeyPrefix: String) async throws -> FeedbackFigures
}

extension SQLiteStore: ServiceStore {}
