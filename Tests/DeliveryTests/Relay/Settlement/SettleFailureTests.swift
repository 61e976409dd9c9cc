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
        let queue = InMemoryStore()
        let ids = try await queue.enqueue(
            ["first", "second"].map { NewJob(destination: "recording", orderingKey: "user-1", kind: "k", payload: Data($0.utf8)) }
        )
        .map { result -> Int64 in
            guard case .accepted(let id) = result else { return -1 }
            return id
        }
        // The first two settlements are refused before they reach the store.
        let store = FaultyQueue(queue, refusing: [.settle: 2])
        let destination = Recording()
        let logger = quietLogger()
        let relay = Relay(store: store, destinations: [destination], logger: logger)
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        relay.wake("recording")
        // Before the fix the first job stayed claimed after its settlement failed, and the second,
        // behind it, was never claimed.
        try await waitUntil("both jobs are delivered and settled") {
            try await queue.pendingCount(destination: "recording") == 0
        }
        #expect(destination.delivered.withLock { $0 } == ids)  // in order, each once
        #expect(store.calls(.settle).count(where: \.refused) == 2)
        for id in ids { #expect(try await queue.jobState(id: id)?.state == "delivered") }
    }
}
