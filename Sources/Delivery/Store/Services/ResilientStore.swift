import Foundation
import Synchronization

/// The store as the running service sees it: opened lazily and re-opened after it failed, so the bridge
/// starts and answers `503` (instead of exiting) while its data directory is read-only or missing, or its
/// database does not answer, and recovers by itself when they do. Every call goes to the open store, or
/// throws why it is not open.
package final class ResilientStore: Sendable {
    private struct State {
        var store: (any ServiceStore)?
        var lastError: String?
        var lastAttempt: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let open: @Sendable () async throws -> any ServiceStore
    /// How often a failed open is tried again.
    private let retryInterval: Duration

    package init(retryInterval: Duration = .seconds(1), open: @escaping @Sendable () async throws -> any ServiceStore) {
        self.open = open
        self.retryInterval = retryInterval
    }

    /// The open store, opening it if needed (at most one try per retry interval: the callers in between
    /// are told why it is not open yet).
    package func current() async throws -> any ServiceStore {
        let now = ContinuousClock.now
        let due = state.withLock { state -> Bool in
            if state.store != nil { return false }
            if let last = state.lastAttempt, now - last < retryInterval { return false }
            state.lastAttempt = now
            return true
        }
        if due {
            do {
                let store = try await open()
                state.withLock {
                    $0.store = $0.store ?? store
                    $0.lastError = nil
                }
            } catch {
                state.withLock { $0.lastError = "\(error)" }
            }
        }
        return try state.withLock { state in
            guard let store = state.store else { throw StoreError(state.lastError ?? "the store is not open yet") }
            return store
        }
    }

    /// The store's condition for readiness, without opening it or touching it: not open (with the open
    /// error), or open with its latest commit outcome.
    package var condition: StoreCondition {
        state.withLock { state in
            guard let store = state.store else { return .unopened(problem: state.lastError ?? "the store is not open yet") }
            return .open(store.lastCommit)
        }
    }

    /// The open store's `lowDiskProblem()`; `nil` while it is not open.
    package func lowDiskProblem() -> String? {
        state.withLock { $0.store }?.lowDiskProblem()
    }
}

extension ResilientStore: DeliveryQueue {
    package func enqueue(_ jobs: [NewJob], binding: KeyBinding?) async throws -> [EnqueueResult] {
        try await current().enqueue(jobs, binding: binding)
    }

    package func claim(destination: String, limit: Int, now: Date) async throws -> [ClaimedJob] {
        try await current().claim(destination: destination, limit: limit, now: now)
    }

    package func settle(_ settlements: [Settlement]) async throws { try await current().settle(settlements) }

    package func releaseAllClaims() async throws -> Int { try await current().releaseAllClaims() }

    package func nextDue(destination: String) async throws -> Date? { try await current().nextDue(destination: destination) }
}

extension ResilientStore: CorrelationLookup {
    package func correlation(transactionId: String) async throws -> Correlation? {
        try await current().correlation(transactionId: transactionId)
    }
}

extension ResilientStore: StoreMaintenance {
    package func prune(
        now: Date,
        retention: Duration,
        correlationRetention: Duration,
        deadLetterRetention: Duration,
        batchSize: Int
    ) async throws -> PruneResult {
        try await current().prune(
            now: now,
            retention: retention,
            correlationRetention: correlationRetention,
            deadLetterRetention: deadLetterRetention,
            batchSize: batchSize
        )
    }

    package func queueFigures(now: Date, destinations: [String]) async throws -> [QueueFigures] {
        try await current().queueFigures(now: now, destinations: destinations)
    }

    package func stats(now: Date, destinations: [String]) async throws -> [DestinationStats] {
        try await current().stats(now: now, destinations: destinations)
    }

    package func scheduleSkew(destination: String, now: Date) async throws -> TimeInterval? {
        try await current().scheduleSkew(destination: destination, now: now)
    }

    package func moveSchedule(
        destinations: [String],
        back seconds: TimeInterval,
        now: @escaping @Sendable () -> Date,
        settledSince: Date?
    ) async throws -> Int {
        try await current().moveSchedule(destinations: destinations, back: seconds, now: now, settledSince: settledSince)
    }

    package func recordDestinationState(name: String, held: Bool, reason: String?) async throws {
        try await current().recordDestinationState(name: name, held: held, reason: reason)
    }

    package func probe() async throws { try await current().probe() }

    package func storeBytes() async throws -> Int64 { try await current().storeBytes() }

    package func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter] { try await current().deadLetters(filter) }

    package func deadLetter(id: Int64) async throws -> DeadLetterDetail? { try await current().deadLetter(id: id) }

    package func replayDeadLetters(_ filter: DeadLetterFilter) async throws -> Int { try await current().replayDeadLetters(filter) }

    package func purgeDeadLetters(_ filter: DeadLetterFilter) async throws -> Int { try await current().purgeDeadLetters(filter) }
}

extension ResilientStore: FollowStore {
    package func dueFollows(now: Date, limit: Int) async throws -> [FollowedTransaction] {
        try await current().dueFollows(now: now, limit: limit)
    }

    package func emittedChanges(transactionIds: [String]) async throws -> [String: Set<String>] {
        try await current().emittedChanges(transactionIds: transactionIds)
    }

    package func correlations(transactionIds: [String]) async throws -> [String: Correlation] {
        try await current().correlations(transactionIds: transactionIds)
    }

    package func commit(_ round: PollCommit) async throws -> [EnqueueResult] { try await current().commit(round) }

    package func nextFollowLook() async throws -> Date? { try await current().nextFollowLook() }

    package func followFigures() async throws -> FollowFigures { try await current().followFigures() }
}

extension ResilientStore: FunnelStore {
    package func foldFunnelSteps(limit: Int) async throws -> Int { try await current().foldFunnelSteps(limit: limit) }

    package func funnelFacts(from: Date, to: Date) async throws -> FunnelFacts { try await current().funnelFacts(from: from, to: to) }

    package func conversionCandidates(
        userId: String,
        since: Date
    ) async throws -> (messages: [FunnelMessage], triggers: [String: FunnelTrigger]) {
        try await current().conversionCandidates(userId: userId, since: since)
    }

    package func commit(_ conversions: ConversionCommit) async throws -> [FunnelConversion] { try await current().commit(conversions) }

    package func unannouncedTriggers(limit: Int) async throws -> [FunnelTrigger] { try await current().unannouncedTriggers(limit: limit) }

    package func announce(_ jobs: [NewJob], through position: Int64) async throws -> [EnqueueResult] {
        try await current().announce(jobs, through: position)
    }

    package func pruneFunnel(now: Date, retention: Duration, batchSize: Int) async throws -> Int {
        try await current().pruneFunnel(now: now, retention: retention, batchSize: batchSize)
    }
}

extension ResilientStore {
    package func feedbackFigures(since: Date, webhookKeyPrefix: String) async throws -> FeedbackFigures {
        try await current().feedbackFigures(since: since, webhookKeyPrefix: webhookKeyPrefix)
    }
}
