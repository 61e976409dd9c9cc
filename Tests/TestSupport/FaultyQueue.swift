import Delivery
import Foundation
import Synchronization

/// A store that refuses the calls a test says it refuses, and passes the others to a real one: for
/// the paths where the store fails (a full disk, a lock held by the CLI, a store not open yet).
///
/// Every call is recorded, refused or not, with when it was made.
package final class FaultyQueue: Sendable {
    /// What a call asks of the store.
    package enum Operation: Sendable, Hashable {
        case enqueue, claim, settle, releaseAllClaims, nextDue, correlation
        case prune, queueFigures, stats, scheduleSkew, moveSchedule, recordDestinationState, probe, storeBytes
        case deadLetters, deadLetter, replayDeadLetters, purgeDeadLetters
    }

    /// One call, as the store saw it.
    package struct Call: Sendable {
        package var operation: Operation
        package var at: ContinuousClock.Instant
        package var refused: Bool
    }

    package typealias Store = any DeliveryQueue & CorrelationLookup & StoreMaintenance

    private let inner: Store
    private let refuses: @Sendable (_ operation: Operation, _ call: Int) -> Bool
    private let error: StoreError
    private let log = Mutex<[Call]>([])

    /// Refuses a call when `refuses` says so, given the operation and how many calls of it there were
    /// with this one (1 for the first).
    package init(
        _ inner: Store,
        error: StoreError = StoreError("database or disk is full"),
        refuses: @escaping @Sendable (_ operation: Operation, _ call: Int) -> Bool
    ) {
        self.inner = inner
        self.error = error
        self.refuses = refuses
    }

    /// Refuses the first `count` calls of each operation named (`.max`: every call).
    package convenience init(_ inner: Store, error: StoreError = StoreError("database or disk is full"), refusing: [Operation: Int]) {
        self.init(inner, error: error) { operation, call in call <= refusing[operation, default: 0] }
    }

    /// Every call so far, in order.
    package var calls: [Call] { log.withLock { $0 } }

    /// The calls of `operation` so far, in order.
    package func calls(_ operation: Operation) -> [Call] { calls.filter { $0.operation == operation } }

    /// Records the call, then throws if it is refused.
    private func admit(_ operation: Operation) throws {
        let refused = log.withLock { log in
            let call = log.count(where: { $0.operation == operation }) + 1
            let refused = refuses(operation, call)
            log.append(Call(operation: operation, at: .now, refused: refused))
            return refused
        }
        if refused { throw error }
    }
}

extension FaultyQueue: DeliveryQueue {
    package func enqueue(_ jobs: [NewJob], binding: KeyBinding?) async throws -> [EnqueueResult] {
        try admit(.enqueue)
        return try await inner.enqueue(jobs, binding: binding)
    }

    package func claim(destination: String, limit: Int, now: Date) async throws -> [ClaimedJob] {
        try admit(.claim)
        return try await inner.claim(destination: destination, limit: limit, now: now)
    }

    package func settle(_ settlements: [Settlement]) async throws {
        try admit(.settle)
        try await inner.settle(settlements)
    }

    package func releaseAllClaims() async throws -> Int {
        try admit(.releaseAllClaims)
        return try await inner.releaseAllClaims()
    }

    package func nextDue(destination: String) async throws -> Date? {
        try admit(.nextDue)
        return try await inner.nextDue(destination: destination)
    }
}

extension FaultyQueue: CorrelationLookup {
    package func correlation(transactionId: String) async throws -> Correlation? {
        try admit(.correlation)
        return try await inner.correlation(transactionId: transactionId)
    }
}

extension FaultyQueue: StoreMaintenance {
    package func prune(
        now: Date,
        retention: Duration,
        correlationRetention: Duration,
        deadLetterRetention: Duration,
        batchSize: Int
    ) async throws -> PruneResult {
        try admit(.prune)
        return try await inner.prune(
            now: now,
            retention: retention,
            correlationRetention: correlationRetention,
            deadLetterRetention: deadLetterRetention,
            batchSize: batchSize
        )
    }

    package func queueFigures(now: Date, destinations: [String]) async throws -> [QueueFigures] {
        try admit(.queueFigures)
        return try await inner.queueFigures(now: now, destinations: destinations)
    }

    package func stats(now: Date, destinations: [String]) async throws -> [DestinationStats] {
        try admit(.stats)
        return try await inner.stats(now: now, destinations: destinations)
    }

    package func scheduleSkew(destination: String, now: Date) async throws -> TimeInterval? {
        try admit(.scheduleSkew)
        return try await inner.scheduleSkew(destination: destination, now: now)
    }

    package func moveSchedule(
        destinations: [String],
        back seconds: TimeInterval,
        now: @escaping @Sendable () -> Date,
        settledSince: Date?
    ) async throws -> Int {
        try admit(.moveSchedule)
        return try await inner.moveSchedule(destinations: destinations, back: seconds, now: now, settledSince: settledSince)
    }

    package func recordDestinationState(name: String, held: Bool, reason: String?) async throws {
        try admit(.recordDestinationState)
        try await inner.recordDestinationState(name: name, held: held, reason: reason)
    }

    package func probe() async throws {
        try admit(.probe)
        try await inner.probe()
    }

    package func storeBytes() async throws -> Int64 {
        try admit(.storeBytes)
        return try await inner.storeBytes()
    }

    package func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter] {
        try admit(.deadLetters)
        return try await inner.deadLetters(filter)
    }

    package func deadLetter(id: Int64) async throws -> DeadLetterDetail? {
        try admit(.deadLetter)
        return try await inner.deadLetter(id: id)
    }

    package func replayDeadLetters(_ filter: DeadLetterFilter) async throws -> Int {
        try admit(.replayDeadLetters)
        return try await inner.replayDeadLetters(filter)
    }

    package func purgeDeadLetters(_ filter: DeadLetterFilter) async throws -> Int {
        try admit(.purgeDeadLetters)
        return try await inner.purgeDeadLetters(filter)
    }
}
