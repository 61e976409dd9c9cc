import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import Delivery

/// A settlement the store refuses for a while (a full disk, a lock held by the CLI) must land once the
/// store recovers: until then its jobs stay claimed, and their users' later jobs cannot be claimed.
@Suite("Settlements the store refuses")
struct SettleFailureTests {
    /// The real store, whose first `failures` settlements fail before touching it.
    final class RefusingStore: DeliveryStore {
        let inner: SQLiteStore
        let failures: Int
        let refused = Mutex(0)

        init(_ inner: SQLiteStore, failures: Int) {
            self.inner = inner
            self.failures = failures
        }

        func settle(_ settlements: [Settlement]) async throws {
            let refuse = refused.withLock { count in
                guard count < failures else { return false }
                count += 1
                return true
            }
            if refuse { throw StoreError("database or disk is full") }
            try await inner.settle(settlements)
        }

        func enqueue(_ jobs: [NewJob]) async throws -> [EnqueueResult] { try await inner.enqueue(jobs) }
        func enqueue(_ jobs: [NewJob], binding: KeyBinding) async throws -> [EnqueueResult] {
            try await inner.enqueue(jobs, binding: binding)
        }
        func claim(destination: String, limit: Int, now: Date) async throws -> [ClaimedJob] {
            try await inner.claim(destination: destination, limit: limit, now: now)
        }
        func releaseAllClaims() async throws -> Int { try await inner.releaseAllClaims() }
        func nextDue(destination: String) async throws -> Date? { try await inner.nextDue(destination: destination) }
        func scheduleSkew(destination: String, now: Date) async throws -> TimeInterval? {
            try await inner.scheduleSkew(destination: destination, now: now)
        }
        func moveSchedule(
            destinations: [String],
            back seconds: TimeInterval,
            now: @escaping @Sendable () -> Date,
            settledSince: Date?
        ) async throws -> Int {
            try await inner.moveSchedule(destinations: destinations, back: seconds, now: now, settledSince: settledSince)
        }
        func correlation(transactionId: String) async throws -> Correlation? {
            try await inner.correlation(transactionId: transactionId)
        }
        func probe() async throws { try await inner.probe() }
        func recordDestinationState(name: String, held: Bool, reason: String?) async throws {
            try await inner.recordDestinationState(name: name, held: held, reason: reason)
        }
    }

    /// Delivers everything, one job per request, and records the order.
    final class Recording: DeliveryDestination {
        let name = "recording"
        let delivered = Mutex<[Int64]>([])
        func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]] { jobs.map { [$0] } }
        func plan(_ jobs: [ClaimedJob], gathering: Bool) -> (requests: [[ClaimedJob]], waiting: [ClaimedJob]) {
            (plan(jobs), [])
        }
        func deliver(_ jobs: [ClaimedJob]) async -> [AttemptResult] {
            delivered.withLock { $0 += jobs.map(\.id) }
            return jobs.map { _ in AttemptResult(.delivered(), reason: "delivered") }
        }
    }

    @Test("a refused settlement is tried again, so the user's next job still goes, without restarting")
    func refusedSettlementLands() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let sqlite = try SQLiteStore(directory: dir.path)
        let ids = try await sqlite.enqueue(
            ["first", "second"].map { NewJob(destination: "recording", orderingKey: "user-1", kind: "k", payload: Data($0.utf8)) }
        )
        .map { result -> Int64 in
            guard case .accepted(let id) = result else { return -1 }
            return id
        }
        let store = RefusingStore(sqlite, failures: 2)
        let destination = Recording()
        let logger = quietLogger()
        let relay = Relay(store: store, destinations: [destination], logger: logger)
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        relay.wake("recording")
        // Before the fix the first job stayed claimed after its settlement failed, and the second,
        // behind it, was never claimed.
        try await waitUntil("both jobs are delivered and settled") {
            try await sqlite.pendingCount(destination: "recording") == 0
        }
        #expect(destination.delivered.withLock { $0 } == ids)  // in order, each once
        #expect(store.refused.withLock { $0 } == 2)
        for id in ids { #expect(try await sqlite.jobState(id: id)?.state == "delivered") }
    }
}
