import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Delivery

/// The edges of following a wall clock set back: what must not move, and what must move only once.
extension ClockStepTests {
    @Test("a dead letter replayed behind a head in flight is due when it becomes the head, after the clock went back")
    func replayedIsDueWhenPromoted() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        _ = try await store.enqueue([job("a", "first")])
        let first = try await attempt(store, at: Date(), status: 422, .deadLetter(reason: "HTTP 422"))
        _ = try await store.enqueue([job("a", "second")])
        let back = Date().addingTimeInterval(-3600)
        // "second" is in flight while "first" is replayed: the replayed job waits behind it, not as the head.
        let replayed = Mutex(0)
        try await attempt(store, at: back, status: 201, .delivered) {
            let count = try await store.replayDeadLetters(DeadLetterFilter(ids: [first.id]))
            replayed.withLock { $0 = count }
        }
        #expect(replayed.withLock { $0 } == 1)
        let next = try await store.claim(destination: "novu", limit: 10, now: back.addingTimeInterval(1))
        #expect(next.map(\.id) == [first.id])
    }

    @Test("a held job (a hold counts no attempt) is not taken for a clock set back")
    func holdIsNoSkew() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        _ = try await store.enqueue([job("a", "held")])
        let now = Date()
        let held = try await attempt(store, at: now, status: 401, .hold(until: now.addingTimeInterval(60)))
        #expect(try await store.jobState(id: held.id)?.attempts == 0)
        #expect(try await store.scheduleSkew(destination: "novu", now: Date()) == nil)
    }

    @Test("a retry computed from the clock as set back is not moved again; one computed before is")
    func settledSinceStepStays() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        _ = try await store.enqueue([job("a", "before"), job("b", "after")])
        let claimed = try await store.claim(destination: "novu", limit: 10, now: Date().addingTimeInterval(1))
        let before = try #require(claimed.first { String(decoding: $0.payload, as: UTF8.self) == "before" })
        let after = try #require(claimed.first { String(decoding: $0.payload, as: UTF8.self) == "after" })
        let old = Date()
        let seenAt = old.addingTimeInterval(-3600)  // the step back, as the new clock reads
        try await store.settle([
            Settlement(
                jobId: before.id,
                outcome: .retry(at: old.addingTimeInterval(300)),
                attempt: AttemptRecord(at: old, status: 503, reason: "HTTP 503")
            ),
            Settlement(
                jobId: after.id,
                outcome: .retry(at: seenAt.addingTimeInterval(4)),
                attempt: AttemptRecord(at: seenAt.addingTimeInterval(0.5), status: 503, reason: "HTTP 503")
            ),
        ])
        let moved = try await store.moveSchedule(
            destinations: ["novu"],
            back: 3600,
            now: { seenAt.addingTimeInterval(1) },
            settledSince: seenAt
        )
        #expect(moved == 1)
        #expect(try await store.claim(destination: "novu", limit: 10, now: seenAt.addingTimeInterval(2)).isEmpty)
        let due = try #require(try await store.nextDue(destination: "novu"))
        #expect(abs(due.timeIntervalSince(seenAt) - 4) < 0.001)  // "after" keeps its 4 s; "before" is ~300 s away
    }

    @Test("a move the store refuses is tried again at the next look; pauses move once, the schedule once in all")
    func refusedMoveIsRetriedOnce() async throws {
        let queue = InMemoryStore()
        _ = try await queue.enqueue([job("a", "queued")])
        let queuedAt = try #require(try await queue.nextDue(destination: "novu"))
        let store = FaultyQueue(queue, error: StoreError("database is locked"), refusing: [.moveSchedule: 2])
        let clock = SteppingClock()
        let relay = Relay(
            store: store,
            destinations: [ThrottledOnce(clock: clock)],
            logger: quietLogger(),
            wallClock: { clock.now() }
        )
        _ = await relay.clock.follow()  // the first look
        let pause = clock.now().addingTimeInterval(1000)
        relay.status.update("novu") { $0.pausedUntil = pause }
        clock.offset.withLock { $0 = -3600 }
        for _ in 0..<4 { _ = await relay.clock.follow() }
        #expect(store.calls(.moveSchedule).map(\.refused) == [true, true, false])
        // The job was queued before the step, so due then: it moved back by the step, once.
        let due = try #require(try await queue.nextDue(destination: "novu"))
        #expect(abs(due.timeIntervalSince(queuedAt) + 3600) < 0.5)
        let moved = try #require(relay.status.destination("novu").pausedUntil)
        #expect(abs(moved.timeIntervalSince(pause) + 3600) < 0.5)
    }

    @Test("while the store is down, a refused move is tried again a lane's idle wait later, not in a spin")
    func refusedMoveDoesNotSpin() async throws {
        // The store is down: claims and moves fail.
        let store = FaultyQueue(
            InMemoryStore(),
            error: StoreError("the store is not open yet"),
            refusing: [.claim: .max, .moveSchedule: .max]
        )
        let clock = SteppingClock()
        let relay = Relay(store: store, destinations: [ThrottledOnce(clock: clock)], logger: quietLogger(), wallClock: { clock.now() })
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        try await waitUntil("the lane has looked at the clock and claimed once") { store.calls(.claim).count >= 1 }
        clock.offset.withLock { $0 = -3600 }
        try await waitUntil("the move was tried four times") { store.calls(.moveSchedule).count >= 4 }
        let moves = store.calls(.moveSchedule).map(\.at)
        // The step itself rings every lane once, so the first two tries may follow each other at once.
        // From then on the lane waits its idle poll (1 s) after each refused claim. Before the fix each
        // refused move rang every lane, which then tried again at once: thousands of tries a second.
        #expect(moves[3] - moves[1] >= .milliseconds(1500))
    }

    @Test("at start, every destination moves by the largest skew: a queue of retries alone shows none")
    func startMovesEveryDestination() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        _ = try await store.enqueue([
            job("a", "fresh"),
            NewJob(destination: "segment", orderingKey: "b", kind: "track", payload: Data("retried".utf8)),
        ])
        let old = Date()
        try await attempt(store, destination: "segment", at: old, status: 503, .retry(at: old.addingTimeInterval(300)))
        let clock = SteppingClock()
        clock.offset.withLock { $0 = -3600 }
        let relay = Relay(
            store: store,
            destinations: [ThrottledOnce(clock: clock), SegmentNamed()],
            logger: quietLogger(),
            wallClock: { clock.now() }
        )
        await relay.clock.catchUpWithStoredSchedule()
        let due = try #require(try await store.nextDue(destination: "segment"))
        #expect(due.timeIntervalSince(clock.now()) < 310)  // its retry's 300 s, not an hour more
    }

    /// A destination named `segment` that is never asked to deliver here.
    final class SegmentNamed: DeliveryDestination {
        let name = "segment"
        func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]] { jobs.map { [$0] } }
        func plan(_ jobs: [ClaimedJob], gathering: Bool) -> (requests: [[ClaimedJob]], waiting: [ClaimedJob]) {
            (plan(jobs), [])
        }
        func deliver(_ jobs: [ClaimedJob]) async -> [AttemptResult] {
            jobs.map { _ in AttemptResult(.delivered(), reason: "delivered", answer: .init(status: 200)) }
        }
    }
}
