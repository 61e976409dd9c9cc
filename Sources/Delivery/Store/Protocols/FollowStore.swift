import Foundation

/// The poller's durable state. Follows are recorded by `DeliveryQueue.settle` (a `Settlement.follow`).
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
