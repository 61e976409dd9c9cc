import Delivery
import Foundation
import TestSupport
import Testing

/// Claims released and the end of each claim: what each outcome leaves, and which attempts count.
extension StoreConformanceTests {
    @Test("releasing every claim puts the jobs back unchanged, and counts them", arguments: StoreKind.allCases)
    func releaseAllClaims(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "a1"), job("b", "b1"), job("b", "b2")])
            let claimed = try await store.claim(destination: "novu", limit: 10, now: soon)
            #expect(try await store.claimedCount(destination: "novu") == 2)
            #expect(try await store.releaseAllClaims() == 2)
            #expect(try await store.claimedCount(destination: "novu") == 0)
            #expect(try await store.claim(destination: "novu", limit: 10, now: soon) == claimed)
            #expect(try await store.releaseAllClaims() == 2)
            #expect(try await store.releaseAllClaims() == 0)
        }
    }

    @Test("a released job is back at the head of its key, with no attempt counted", arguments: StoreKind.allCases)
    func releaseOne(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "a1"), job("a", "a2")])
            let first = try await claimOne(store)
            try await settle(store, first.id, .release)
            let again = try await claimOne(store)
            #expect(again == first)
            #expect(again.attempts == 0 && again.firstAttemptAt == nil && again.lastStatus == nil)
        }
    }

    @Test(
        "delivered and dry run end a job with its attempt counted; the key's next job is claimable at once",
        arguments: StoreKind.allCases
    )
    func delivered(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "a1"), job("a", "a2"), job("b", "b1"), job("b", "b2")])
            let claimed = try await store.claim(destination: "novu", limit: 10, now: soon)
            try await store.settle([
                Settlement(jobId: claimed[0].id, outcome: .delivered, attempt: AttemptRecord(at: Date(), status: 201, reason: "delivered")),
                Settlement(jobId: claimed[1].id, outcome: .dryRun),
            ])
            #expect(try await store.jobState(id: claimed[0].id).map { [$0.state, "\($0.attempts)"] } == ["delivered", "1"])
            #expect(try await store.jobState(id: claimed[1].id).map { [$0.state, "\($0.attempts)"] } == ["dry_run", "1"])
            #expect(try await claim(store) == ["a2", "b2"])
            #expect(try await store.deadLetters(DeadLetterFilter()).isEmpty)
        }
    }

    @Test("a retry counts an attempt and keeps its status and idempotency key; due at its time, not before", arguments: StoreKind.allCases)
    func retry(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "a1")])
            let attemptedAt = Date()
            try await settle(
                store,
                try await claimOne(store).id,
                .retry(at: attemptedAt.addingTimeInterval(60)),
                attempt: failure(at: attemptedAt, key: "key-1")
            )
            #expect(try await claim(store, at: attemptedAt.addingTimeInterval(59)).isEmpty)
            let again = try await claimOne(store, at: attemptedAt.addingTimeInterval(60))
            #expect(again.attempts == 1 && again.lastStatus == 503 && again.lastAttemptKey == "key-1")
            #expect(again.firstAttemptAt.map { abs($0.timeIntervalSince(attemptedAt)) < 0.001 } == true)
            #expect(try await store.jobState(id: again.id)?.state == "pending")
        }
    }

    @Test("a hold counts no attempt, however long; the job waits until its time", arguments: StoreKind.allCases)
    func hold(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "a1"), job("a", "a2")])
            let now = Date()
            var held = try await claimOne(store)
            for round in 1...3 {
                let until = now.addingTimeInterval(Double(60 * round))
                try await settle(store, held.id, .hold(until: until), attempt: failure(status: 401))
                #expect(try await claim(store, at: until.addingTimeInterval(-1)).isEmpty)
                held = try await claimOne(store, at: until)
                #expect(tags([held]) == ["a1"] && held.attempts == 0 && held.lastStatus == 401)
            }
            #expect(try await store.jobState(id: held.id)?.attempts == 0)
        }
    }

    @Test("a settlement without an attempt (an event of a bulk request) keeps the key the last attempt sent", arguments: StoreKind.allCases)
    func noAttemptKeepsKey(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "a1")])
            let now = Date()
            try await settle(store, try await claimOne(store).id, .retry(at: now), attempt: failure(key: "key-1"))
            try await settle(store, try await claimOne(store, at: now).id, .retry(at: now))
            let again = try await claimOne(store, at: now)
            #expect(again.attempts == 2 && again.lastAttemptKey == "key-1")
        }
    }

    @Test(
        "a dead letter keeps every failed attempt's outcome; only the first and the latest keep request and answer",
        arguments: StoreKind.allCases
    )
    func deadLetterKeepsAttempts(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "a1"), job("a", "a2")])
            let now = Date()
            for (index, status) in [503, 502].enumerated() {
                let claimed = try await claimOne(store, at: now.addingTimeInterval(Double(index)))
                let attempt = failure(
                    at: now.addingTimeInterval(Double(index)),
                    status: status,
                    key: "key-\(index)",
                    request: "try \(index)"
                )
                try await settle(store, claimed.id, .retry(at: now.addingTimeInterval(Double(index + 1))), attempt: attempt)
            }
            let last = try await claimOne(store, at: now.addingTimeInterval(2))
            let final = failure(at: now.addingTimeInterval(2), status: 422, key: "key-2", request: "try 2")
            try await settle(store, last.id, .deadLetter(reason: "HTTP 422"), attempt: final)
            let detail = try #require(try await store.deadLetter(id: last.id))
            #expect(detail.attempts.map(\.status) == [503, 502, 422])
            #expect(detail.attempts.map(\.attemptKey) == ["key-0", "key-1", "key-2"])
            #expect(detail.attempts.map(\.request) == ["try 0", nil, "try 2"])
            #expect(detail.attempts.map(\.response) == ["answer to try 0", nil, "answer to try 2"])
            #expect(detail.payload == "a1" && detail.event == "event a1")
            #expect(detail.letter.reason == "HTTP 422" && detail.letter.status == 422 && detail.letter.attempts == 3)
            #expect(detail.letter.user == "a" && detail.letter.deadLetteredAt != nil)
            #expect(try await store.jobState(id: last.id)?.state == "dead")
            // Dead-lettered, it no longer holds its key.
            #expect(try await claim(store, at: now.addingTimeInterval(2)) == ["a2"])
        }
    }
}
