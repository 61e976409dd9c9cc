import Foundation

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

    /// Deletes funnel facts older than `retention` (`BRIDGE_FUNNEL_RETENTION`) as of `now`, in batches of
    /// `batchSize` rows, each its own short transaction; returns how many rows went.
    func pruneFunnel(now: Date, retention: Duration, batchSize: Int) async throws -> Int
}

extension FunnelStore {
    /// Folds every logged step, 250 to a transaction: ingest's commits take turns with the fold's on the
    /// one writer, so a second's backlog of steps does not hold a webhook's answer for tens of milliseconds.
    package func foldAllFunnelSteps() async throws {
        while try await foldFunnelSteps(limit: 250) == 250 {}
    }
}
