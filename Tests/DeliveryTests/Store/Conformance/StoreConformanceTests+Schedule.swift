import Delivery
import Foundation
import TestSupport
import Testing

/// Due times: the next one, and their repair after the wall clock went back (`scheduleSkew`,
/// `moveSchedule`).
extension StoreConformanceTests {
    /// Whether `date` is `expected`, to the millisecond.
    func near(_ date: Date?, _ expected: Date, within tolerance: TimeInterval = 0.001) -> Bool {
        date.map { abs($0.timeIntervalSince(expected)) <= tolerance } ?? false
    }

    @Test(
        "the next due time is the earliest of the claimable jobs; claimed jobs and those behind them do not count",
        arguments: StoreKind.allCases
    )
    func nextDue(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            #expect(try await store.nextDue(destination: "novu") == nil)
            let before = Date()
            _ = try await store.enqueue([job("a", "a1"), job("a", "a2")])
            let queued = try #require(try await store.nextDue(destination: "novu"))
            #expect(queued >= before.addingTimeInterval(-0.001) && queued <= Date())
            let first = try await claimOne(store)
            #expect(try await store.nextDue(destination: "novu") == nil)  // "a2" waits behind the claimed "a1"
            let retryAt = Date().addingTimeInterval(60)
            try await settle(store, first.id, .retry(at: retryAt), attempt: failure())
            #expect(near(try await store.nextDue(destination: "novu"), retryAt))
            #expect(try await store.nextDue(destination: "segment") == nil)
        }
    }

    @Test(
        "a job never attempted is due as soon as its key's job before it is settled, though the clock went back",
        arguments: StoreKind.allCases
    )
    func promotedIsDue(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "first"), job("a", "second")])
            let first = try await claimOne(store)
            // Settled by a clock an hour behind the one that queued "second".
            let back = Date().addingTimeInterval(-3600)
            try await settle(store, first.id, .delivered, attempt: AttemptRecord(at: back, status: 201, reason: "delivered"))
            #expect(try await claim(store, at: back.addingTimeInterval(1)) == ["second"])
        }
    }

    @Test(
        "the skew is how far the latest due time of a never-attempted claimable job lies ahead; retries and holds are stepped over",
        arguments: StoreKind.allCases
    )
    func scheduleSkew(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("r", "retried"), job("h", "held")])
            let claimed = try await store.claim(destination: "novu", limit: 10, now: soon)
            let now = Date()
            try await settle(store, claimed[0].id, .retry(at: now.addingTimeInterval(7200)), attempt: failure())
            try await settle(store, claimed[1].id, .hold(until: now.addingTimeInterval(7200)), attempt: failure(status: 401))
            #expect(try await store.scheduleSkew(destination: "novu", now: now) == nil)
            _ = try await store.enqueue([job("a", "fresh")])
            let queued = try #require(try await store.nextDue(destination: "novu"))
            let back = queued.addingTimeInterval(-3600)
            #expect(try await store.scheduleSkew(destination: "novu", now: back).map { abs($0 - 3600) < 0.001 } == true)
            #expect(try await store.scheduleSkew(destination: "novu", now: queued) == nil)
            #expect(try await store.scheduleSkew(destination: "segment", now: back) == nil)
        }
    }

    @Test(
        "moving the schedule moves the future due times of claimable jobs of the destinations named, and no others",
        arguments: StoreKind.allCases
    )
    func moveSchedule(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "a1"), job("b", "b1"), job("b", "b2"), job("c", "c1", destination: "segment")])
            #expect(tags([try await claimOne(store)]) == ["a1"])
            let queued = try #require(try await store.nextDue(destination: "novu"))
            let back = queued.addingTimeInterval(-3600)
            let moved = try await store.moveSchedule(destinations: ["novu"], back: 3600, now: { back }, settledSince: nil)
            #expect(moved == 1)  // "b1": "a1" is claimed, "b2" waits behind "b1", "c1" is segment's
            #expect(near(try await store.nextDue(destination: "novu"), back))
            #expect(try await claim(store, at: back) == ["b1"])
            #expect(near(try await store.nextDue(destination: "segment"), queued))
        }
    }

    @Test(
        "a job last attempted between the step and now keeps its due time; one attempted before the step moves",
        arguments: StoreKind.allCases
    )
    func settledSinceStays(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "before"), job("b", "after")])
            let claimed = try await store.claim(destination: "novu", limit: 10, now: soon)
            let old = Date()
            let seenAt = old.addingTimeInterval(-3600)  // the step back, as the new clock reads
            try await store.settle([
                Settlement(jobId: claimed[0].id, outcome: .retry(at: old.addingTimeInterval(300)), attempt: failure(at: old)),
                Settlement(
                    jobId: claimed[1].id,
                    outcome: .retry(at: seenAt.addingTimeInterval(4)),
                    attempt: failure(at: seenAt.addingTimeInterval(0.5))
                ),
            ])
            let moved = try await store.moveSchedule(
                destinations: ["novu"],
                back: 3600,
                now: { seenAt.addingTimeInterval(1) },
                settledSince: seenAt
            )
            #expect(moved == 1)
            #expect(near(try await store.nextDue(destination: "novu"), seenAt.addingTimeInterval(4)))  // "after" keeps its 4 s
            #expect(try await claim(store, at: seenAt.addingTimeInterval(4)) == ["after"])
            #expect(try await claim(store, at: seenAt.addingTimeInterval(300)) == ["before"])  // moved back by the hour
        }
    }

    @Test("without a time of the step, every future due time moves, attempted or not", arguments: StoreKind.allCases)
    func moveWithoutSettledSince(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "retried"), job("b", "fresh")])
            let retried = try await claimOne(store)
            let now = Date()
            try await settle(store, retried.id, .retry(at: now.addingTimeInterval(300)), attempt: failure(at: now))
            let back = now.addingTimeInterval(-3600)
            #expect(try await store.moveSchedule(destinations: ["novu"], back: 3600, now: { back }, settledSince: nil) == 2)
            #expect(try await claim(store, at: back.addingTimeInterval(1)) == ["fresh"])
            #expect(try await claim(store, at: back.addingTimeInterval(300)) == ["retried"])
        }
    }
}
