import Foundation
import Synchronization

/// A store that keeps everything in memory, with the SQLite store's rules: ordering per key, dedupe,
/// settlements, the dead-letter queue, the schedule's repair, retention. For tests that need a real queue
/// without files (the conformance suite holds both stores to the same rules); nothing survives the process.
///
/// Follows and the funnel are not kept: a settlement's `follow` and `acknowledged`, and a job's `step`, are
/// left out.
package final class InMemoryStore: Sendable {
    private let queue = Mutex(MemoryQueue())

    package init() {}

    /// Runs `body` on the state, under the lock.
    func withQueue<T: Sendable, E: Error>(_ body: (inout MemoryQueue) throws(E) -> T) throws(E) -> T {
        try queue.withLock { (queue) throws(E) -> T in try body(&queue) }
    }
}

extension InMemoryStore: DeliveryQueue {
    package func enqueue(_ jobs: [NewJob], binding: KeyBinding?) async throws -> [EnqueueResult] {
        let now = Date()
        return try withQueue { try $0.enqueue(jobs, binding: binding, now: now) }
    }

    package func claim(destination: String, limit: Int, now: Date) async throws -> [ClaimedJob] {
        withQueue { $0.claim(destination: destination, limit: limit, now: now) }
    }

    package func settle(_ settlements: [Settlement]) async throws {
        let now = Date()
        withQueue { $0.settle(settlements, now: now) }
    }

    package func releaseAllClaims() async throws -> Int {
        withQueue { $0.releaseAllClaims() }
    }

    package func nextDue(destination: String) async throws -> Date? {
        withQueue { $0.nextDue(destination: destination) }
    }
}

extension InMemoryStore: CorrelationLookup {
    package func correlation(transactionId: String) async throws -> Correlation? {
        withQueue { $0.correlation(transactionId: transactionId) }
    }
}

extension InMemoryStore: StoreMaintenance {
    package func prune(
        now: Date,
        retention: Duration,
        correlationRetention: Duration,
        deadLetterRetention: Duration,
        batchSize: Int
    ) async throws -> PruneResult {
        withQueue {
            $0.prune(now: now, retention: retention, correlationRetention: correlationRetention, deadLetterRetention: deadLetterRetention)
        }
    }

    package func queueFigures(now: Date, destinations: [String]) async throws -> [QueueFigures] {
        withQueue { $0.queueFigures(now: now, destinations: destinations) }
    }

    package func stats(now: Date, destinations: [String]) async throws -> [DestinationStats] {
        withQueue { $0.stats(now: now, destinations: destinations) }
    }

    package func scheduleSkew(destination: String, now: Date) async throws -> TimeInterval? {
        withQueue { $0.scheduleSkew(destination: destination, now: now) }
    }

    package func moveSchedule(
        destinations: [String],
        back seconds: TimeInterval,
        now: @escaping @Sendable () -> Date,
        settledSince: Date?
    ) async throws -> Int {
        // The time is read under the lock, as SQLite reads it inside the transaction: a settlement that
        // landed just before is left alone.
        withQueue { $0.moveSchedule(destinations: destinations, back: seconds, now: now(), settledSince: settledSince) }
    }

    package func recordDestinationState(name: String, held: Bool, reason: String?) async throws {
        withQueue { $0.destinationStates[name] = (held, reason) }
    }

    /// Always commits: memory has no disk to refuse.
    package func probe() async throws {}

    package func storeBytes() async throws -> Int64 {
        withQueue { $0.bytes }
    }

    package func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter] {
        withQueue { $0.deadLetters(filter).map(\.deadLetter) }
    }

    package func deadLetter(id: Int64) async throws -> DeadLetterDetail? {
        withQueue { $0.deadLetter(id: id) }
    }

    package func replayDeadLetters(_ filter: DeadLetterFilter) async throws -> Int {
        let now = Date()
        return withQueue { $0.replay(filter, now: now) }
    }

    package func purgeDeadLetters(_ filter: DeadLetterFilter) async throws -> Int {
        withQueue { $0.purge(filter) }
    }
}
