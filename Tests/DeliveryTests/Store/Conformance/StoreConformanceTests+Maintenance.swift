import Delivery
import Foundation
import TestSupport
import Testing

/// Retention, the figures operators and gauges read, the hold state, readiness and size.
extension StoreConformanceTests {
    @Test(
        "pruning: delivered jobs and dedupe keys after the retention, correlations after the longer one, dead letters after theirs; queued jobs never",
        arguments: StoreKind.allCases
    )
    func prune(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([
                job("a", "delivered", keys: ["k1"], correlation: correlation("tx-1")), job("a", "queued"),
                job("b", "dead", deadLetter: "no subscriber"),
            ])
            try await settle(store, try await claimOne(store).id, .delivered)
            let hour: Duration = .seconds(3600)
            let later = Date().addingTimeInterval(10)
            func prune(
                _ retention: Duration,
                correlations: Duration,
                deadLetters: Duration,
                at now: Date = later
            ) async throws -> PruneResult {
                try await store.prune(
                    now: now,
                    retention: retention,
                    correlationRetention: correlations,
                    deadLetterRetention: deadLetters,
                    batchSize: 1
                )
            }
            // A correlation is its job's dedupe entry too: kept as long as the dedupe keys, however short its own retention.
            #expect(try await prune(hour, correlations: .seconds(1), deadLetters: hour) == PruneResult())
            var expected = PruneResult()
            expected.jobs = 1
            expected.dedupeKeys = 1
            #expect(try await prune(.seconds(1), correlations: hour, deadLetters: hour) == expected)
            expected = PruneResult()
            expected.correlations = 1
            #expect(try await prune(.seconds(1), correlations: .seconds(1), deadLetters: hour) == expected)
            expected = PruneResult()
            expected.deadLetters = 1
            #expect(
                try await prune(.seconds(1), correlations: .seconds(1), deadLetters: hour, at: later.addingTimeInterval(3600)) == expected
            )
            #expect(try await store.pendingCount(destination: "novu") == 1)
            #expect(try await store.correlation(transactionId: "tx-1") == nil)
            #expect(ids(try await store.enqueue([job("c", "k1 again", keys: ["k1"], correlation: correlation("tx-1"))])) != [-1])
        }
    }

    @Test(
        "queue figures and stats: queued jobs, the oldest's age, the last hour's deliveries, failed attempts, dead letters and the hold",
        arguments: StoreKind.allCases
    )
    func figures(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "a1"), job("a", "a2"), job("b", "b1"), job("s", "s1", destination: "segment")])
            let claimed = try await store.claim(destination: "novu", limit: 10, now: soon)
            let now = Date()
            try await settle(store, claimed[1].id, .retry(at: now), attempt: failure())
            let retried = try await claimOne(store, at: now)  // "b1" again: "a2" waits behind the claimed "a1"
            try await settle(store, retried.id, .deadLetter(reason: "HTTP 422"), attempt: failure(status: 422))
            try await settle(store, claimed[0].id, .delivered)
            try await store.recordDestinationState(name: "novu", held: true, reason: "NOVU_API_KEY rejected (401)")
            let later = Date().addingTimeInterval(5)
            let queue = try await store.queueFigures(now: later, destinations: ["novu", "segment", "other"])
            #expect(queue.map(\.destination) == ["novu", "segment", "other"])
            #expect(queue.map(\.queued) == [1, 1, 0])
            #expect(queue[0].oldestPendingAge.map { $0 >= 5 && $0 < 60 } == true)
            #expect(queue[2].oldestPendingAge == nil)
            let stats = try await store.stats(now: later, destinations: ["novu", "segment"])
            #expect(stats[0].queued == 1 && stats[1].queued == 1)
            let hour = stats[0].lastHour
            let counts: [Int] = [hour.delivered, hour.retried, hour.deadLettered]
            #expect(counts == [1, 1, 1])
            #expect(stats[0].lastDay == hour)
            #expect(stats[0].held && stats[0].holdReason == "NOVU_API_KEY rejected (401)")
            let day = stats[1].lastDay
            let none: [Int] = [day.delivered, day.retried, day.deadLettered]
            #expect(!stats[1].held && none == [0, 0, 0])
            try await store.recordDestinationState(name: "novu", held: false, reason: nil)
            #expect(try await store.stats(now: later, destinations: ["novu"]).first?.held == false)
        }
    }

    @Test("the store can commit (probe) and its size grows with what it holds", arguments: StoreKind.allCases)
    func probeAndSize(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            try await store.probe()
            let empty = try await store.storeBytes()
            // Random text: a store may compress what it holds (PostgreSQL does, above 2 KB).
            _ = try await store.enqueue(
                (0..<100).map { n in job("u\(n)", (0..<111).map { _ in UUID().uuidString }.joined().prefix(4000).description) }
            )
            #expect(try await store.storeBytes() - empty >= 100 * 4000)
        }
    }
}
