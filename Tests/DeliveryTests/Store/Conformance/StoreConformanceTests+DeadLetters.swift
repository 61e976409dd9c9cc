import Delivery
import Foundation
import TestSupport
import Testing

/// The dead-letter queue: jobs dead-lettered when queued, replay under the same ids, purge, filters.
extension StoreConformanceTests {
    /// Dead-lettered jobs: two of novu (`HTTP 422`, `HTTP 400`) and one of segment (`expired`), in that order.
    func threeDeadLetters(_ store: Store) async throws -> [Int64] {
        _ = try await store.enqueue([job("a", "n1"), job("b", "n2"), job("c", "s1", destination: "segment")])
        var dead: [Int64] = []
        let ends: [(destination: String, reason: String, status: Int?)] = [
            ("novu", "HTTP 422", 422), ("novu", "HTTP 400", 400), ("segment", "expired", 503),
        ]
        for (destination, reason, status) in ends {
            let claimed = try await claimOne(store, destination)
            try await settle(store, claimed.id, .deadLetter(reason: reason), attempt: failure(status: status))
            dead.append(claimed.id)
        }
        return dead
    }

    @Test(
        "a job queued with a dead-letter reason goes straight to the dead-letter queue, and does not hold its key",
        arguments: StoreKind.allCases
    )
    func deadLetteredWhenQueued(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            let queued = ids(try await store.enqueue([job("a", "no subscriber", deadLetter: "no subscriber"), job("a", "fine")]))
            #expect(try await claim(store) == ["fine"])
            let letters = try await store.deadLetters(DeadLetterFilter())
            #expect(letters.map(\.id) == [queued[0]])
            #expect(letters.first?.reason == "no subscriber" && letters.first?.attempts == 0 && letters.first?.deadLetteredAt != nil)
            #expect(try await store.jobState(id: queued[0])?.state == "dead")
        }
    }

    @Test(
        "a replayed dead letter is queued under its id, with its attempts and last status, as never attempted",
        arguments: StoreKind.allCases
    )
    func replayKeepsId(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            let dead = try await threeDeadLetters(store)
            #expect(try await store.replayDeadLetters(DeadLetterFilter(ids: [dead[0]])) == 1)
            #expect(try await store.deadLetters(DeadLetterFilter()).map(\.id) == [dead[1], dead[2]])
            let replayed = try await claimOne(store)
            #expect(replayed.id == dead[0] && tags([replayed]) == ["n1"])
            #expect(replayed.attempts == 1 && replayed.lastStatus == 422 && replayed.firstAttemptAt == nil)
            #expect(try await store.jobState(id: dead[0]).map { [$0.state, $0.reason ?? "none"] } == ["pending", "none"])
        }
    }

    @Test("a dead letter replayed while a newer job of its key is claimed waits, then goes before it", arguments: StoreKind.allCases)
    func replayBehindClaimed(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "first")])
            let first = try await claimOne(store)
            try await settle(store, first.id, .deadLetter(reason: "HTTP 422"), attempt: failure(status: 422))
            _ = try await store.enqueue([job("a", "second")])
            let second = try await claimOne(store)
            #expect(try await store.replayDeadLetters(DeadLetterFilter(ids: [first.id])) == 1)
            #expect(try await claim(store).isEmpty)  // the key stays closed while "second" is claimed
            try await settle(store, second.id, .release)
            #expect(try await claim(store) == ["first"])
        }
    }

    @Test("the filter names dead letters by id, destination, reason text, time and count, oldest first", arguments: StoreKind.allCases)
    func filters(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            let dead = try await threeDeadLetters(store)
            func listed(_ filter: DeadLetterFilter) async throws -> [Int64] { try await store.deadLetters(filter).map(\.id) }
            #expect(try await listed(DeadLetterFilter()) == dead)
            #expect(try await listed(DeadLetterFilter(ids: [dead[2], dead[0]])) == [dead[0], dead[2]])
            #expect(try await listed(DeadLetterFilter(ids: [])) == [])
            #expect(try await listed(DeadLetterFilter(destination: "segment")) == [dead[2]])
            #expect(try await listed(DeadLetterFilter(reason: "HTTP 4")) == [dead[0], dead[1]])
            #expect(try await listed(DeadLetterFilter(since: Date().addingTimeInterval(-60))) == dead)
            #expect(try await listed(DeadLetterFilter(since: Date().addingTimeInterval(60))) == [])
            #expect(try await listed(DeadLetterFilter(destination: "novu", limit: 1)) == [dead[0]])
            #expect(try await store.replayDeadLetters(DeadLetterFilter(reason: "expired")) == 1)
            #expect(try await claim(store, "segment") == ["s1"])
        }
    }

    @Test("purged dead letters are gone for good: not listed, not replayable", arguments: StoreKind.allCases)
    func purge(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            let dead = try await threeDeadLetters(store)
            #expect(try await store.purgeDeadLetters(DeadLetterFilter(destination: "novu", limit: 1)) == 1)
            #expect(try await store.deadLetter(id: dead[0]) == nil)
            #expect(try await store.jobState(id: dead[0]) == nil)
            #expect(try await store.replayDeadLetters(DeadLetterFilter(ids: [dead[0]])) == 0)
            #expect(try await store.purgeDeadLetters(DeadLetterFilter()) == 2)
            #expect(try await store.deadLetters(DeadLetterFilter()).isEmpty)
            #expect(try await claim(store).isEmpty)
        }
    }

    @Test("only dead letters are listed, shown, replayed or purged", arguments: StoreKind.allCases)
    func onlyDeadLetters(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            let queued = ids(try await store.enqueue([job("a", "pending"), job("b", "delivered")]))
            let delivered = try #require(try await store.claim(destination: "novu", limit: 10, now: soon).last)
            try await settle(store, delivered.id, .delivered)
            #expect(try await store.deadLetter(id: queued[0]) == nil)
            #expect(try await store.replayDeadLetters(DeadLetterFilter(ids: queued)) == 0)
            #expect(try await store.purgeDeadLetters(DeadLetterFilter(ids: queued)) == 0)
            #expect(try await store.jobState(id: queued[1])?.state == "delivered")
        }
    }
}
