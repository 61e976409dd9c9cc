import Delivery
import Foundation
import TestSupport
import Testing

/// The rules every store keeps (`DeliveryQueue`, `StoreMaintenance`), run against each `StoreKind`:
/// per-key order, dedupe, settlements, the dead-letter queue, the schedule's repair, retention.
@Suite("Store conformance")
struct StoreConformanceTests {
    typealias Store = StoreKind.Store

    func job(
        _ key: String,
        _ tag: String,
        destination: String = "novu",
        keys: [String] = [],
        correlation: Correlation? = nil,
        deadLetter reason: String? = nil
    ) -> NewJob {
        NewJob(
            destination: destination,
            orderingKey: key,
            kind: "trigger",
            payload: Data(tag.utf8),
            event: Data("event \(tag)".utf8),
            dedupeKeys: keys,
            correlation: correlation,
            deadLetterReason: reason
        )
    }

    func correlation(_ transactionId: String) -> Correlation {
        Correlation(
            transactionId: transactionId,
            eventName: "Order Completed",
            messageId: "m-\(transactionId)",
            userId: "ada",
            workflow: "receipt"
        )
    }

    /// The ids of accepted jobs, -1 for a duplicate.
    func ids(_ results: [EnqueueResult]) -> [Int64] {
        results.map { result in
            guard case .accepted(let id) = result else { return -1 }
            return id
        }
    }

    func tags(_ jobs: [ClaimedJob]) -> [String] { jobs.map { String(decoding: $0.payload, as: UTF8.self) } }

    /// A moment after now: everything queued so far is due.
    var soon: Date { Date().addingTimeInterval(1) }

    /// The tags of the jobs of `destination` due at `now` (`soon` by default), claimed.
    func claim(_ store: Store, _ destination: String = "novu", at now: Date? = nil) async throws -> [String] {
        tags(try await store.claim(destination: destination, limit: 100, now: now ?? soon))
    }

    func failure(at: Date = Date(), status: Int? = 503, key: String? = nil, request: String? = nil) -> AttemptRecord {
        AttemptRecord(
            at: at,
            status: status,
            reason: status.map { "HTTP \($0)" } ?? "timeout",
            response: request.map { "answer to \($0)" },
            attemptKey: key,
            request: request
        )
    }

    func settle(_ store: Store, _ id: Int64, _ outcome: Settlement.Outcome, attempt: AttemptRecord? = nil) async throws {
        try await store.settle([Settlement(jobId: id, outcome: outcome, attempt: attempt)])
    }

    /// Claims the one due job of `destination`, failing the test if there is none.
    func claimOne(_ store: Store, _ destination: String = "novu", at now: Date? = nil) async throws -> ClaimedJob {
        let claimed = try await store.claim(destination: destination, limit: 1, now: now ?? soon)
        return try #require(claimed.first)
    }

    @Test("a key's jobs are claimed one at a time, oldest first", arguments: StoreKind.allCases)
    func oneAtATimeInOrder(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "a1"), job("a", "a2")])
            _ = try await store.enqueue([job("a", "a3")])
            var sent: [String] = []
            while let next = try await store.claim(destination: "novu", limit: 10, now: soon).first {
                #expect(try await claim(store).isEmpty)  // nothing else of the key while one is claimed
                sent += tags([next])
                try await settle(store, next.id, .delivered)
            }
            #expect(sent == ["a1", "a2", "a3"])
        }
    }

    @Test("keys do not wait for each other, and a claim takes no more than its limit", arguments: StoreKind.allCases)
    func keysAreIndependent(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "a1"), job("b", "b1"), job("c", "c1"), job("a", "a2")])
            #expect(tags(try await store.claim(destination: "novu", limit: 2, now: soon)) == ["a1", "b1"])
            #expect(try await claim(store) == ["c1"])
        }
    }

    @Test("a claim takes the earliest due first, then the oldest", arguments: StoreKind.allCases)
    func dueOrder(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "a1"), job("b", "b1"), job("c", "c1"), job("d", "d1")])
            let claimed = try await store.claim(destination: "novu", limit: 10, now: soon)
            let now = Date()
            let due = ["a1": 30.0, "b1": 10, "c1": 20, "d1": 10]
            for job in claimed {
                let at = now.addingTimeInterval(due[tags([job])[0]] ?? 0)
                try await settle(store, job.id, .retry(at: at), attempt: failure())
            }
            #expect(try await claim(store, at: now.addingTimeInterval(40)) == ["b1", "d1", "c1", "a1"])
        }
    }

    @Test("a retried job keeps its key's place: the next waits until it is delivered", arguments: StoreKind.allCases)
    func orderAcrossRetries(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "a1"), job("a", "a2"), job("b", "b1")])
            let now = Date()
            var first = try await claimOne(store)
            for (round, wait) in [60.0, 120].enumerated() {
                try await settle(store, first.id, .retry(at: now.addingTimeInterval(wait)), attempt: failure())
                #expect(try await claim(store, at: now.addingTimeInterval(wait - 1)) == (round == 0 ? ["b1"] : []))
                first = try await claimOne(store, at: now.addingTimeInterval(wait))
                #expect(tags([first]) == ["a1"] && first.attempts == round + 1)
            }
            try await settle(store, first.id, .delivered)
            #expect(try await claim(store, at: now.addingTimeInterval(120)) == ["a2"])
        }
    }

    @Test("a destination's claim never takes another destination's jobs, nor waits for them", arguments: StoreKind.allCases)
    func destinationsAreSeparate(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "to novu"), job("a", "to segment", destination: "segment")])
            #expect(try await claim(store, "novu") == ["to novu"])
            #expect(try await claim(store, "segment") == ["to segment"])
            #expect(try await claim(store, "other").isEmpty)
        }
    }
}
