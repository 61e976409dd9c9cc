import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Delivery

/// Due times are wall-clock times. A wall clock set back (an NTP step, a VM restored from a snapshot)
/// must not leave queued events, retries or pauses waiting for the clock to catch up.
@Suite("Wall clock set back")
struct ClockStepTests {
    /// The real time moved by `offset`, which a test sets back mid-run.
    final class SteppingClock: Sendable {
        let offset = Mutex<TimeInterval>(0)
        func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    }

    /// Answers the first attempt with a 429 and `Retry-After: 5` (in `clock`'s time), then delivers.
    final class ThrottledOnce: DeliveryDestination {
        let name = "novu"
        let clock: SteppingClock
        let attempts = Mutex(0)
        init(clock: SteppingClock) { self.clock = clock }
        func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]] { jobs.map { [$0] } }
        func plan(_ jobs: [ClaimedJob], gathering: Bool) -> (requests: [[ClaimedJob]], waiting: [ClaimedJob]) {
            (plan(jobs), [])
        }
        func deliver(_ jobs: [ClaimedJob]) async -> [AttemptResult] {
            let first = attempts.withLock { count in
                count += 1
                return count == 1
            }
            guard first else { return jobs.map { _ in AttemptResult(.delivered(), reason: "delivered", answer: .init(status: 201)) } }
            let retryAfter = clock.now().addingTimeInterval(5)
            return jobs.map { _ in AttemptResult(.retry, reason: "HTTP 429", answer: .init(status: 429, retryAfter: retryAfter)) }
        }
    }

    func job(_ user: String, _ tag: String) -> NewJob {
        NewJob(destination: "novu", orderingKey: user, kind: "trigger", payload: Data(tag.utf8))
    }

    /// Claims the first due job of `destination`, runs `whileClaimed`, and settles the job with `outcome`,
    /// as attempted at `at`.
    @discardableResult
    func attempt(
        _ store: SQLiteStore,
        destination: String = "novu",
        at: Date,
        status: Int,
        _ outcome: Settlement.Outcome,
        whileClaimed: () async throws -> Void = {}
    ) async throws -> ClaimedJob {
        let claimed = try await store.claim(destination: destination, limit: 1, now: Date().addingTimeInterval(1))
        let job = try #require(claimed.first)
        try await whileClaimed()
        try await store.settle([
            Settlement(jobId: job.id, outcome: outcome, attempt: AttemptRecord(at: at, status: status, reason: "HTTP \(status)"))
        ])
        return job
    }

    func accepted(_ results: [EnqueueResult]) -> [Int64] {
        results.map { result in
            guard case .accepted(let id) = result else { return -1 }
            return id
        }
    }

    @Test("the watch reports a step back once, ignores steps forward and small ones, and owes the store every step")
    func watch() throws {
        var watch = ClockWatch()
        let start = ContinuousClock.now
        let wall = Date()
        func look(_ wallSeconds: TimeInterval, _ continuousSeconds: Int) -> TimeInterval? {
            watch.look(wall: wall.addingTimeInterval(wallSeconds), continuous: start + .seconds(continuousSeconds))
        }
        let looks = [look(0, 0), look(10, 10), look(100, 11), look(100.5, 12)]
        // Both clocks moved alike; set forward (due times only come sooner); half a second back (left alone).
        #expect(looks == [nil, nil, nil, nil])
        let nothing = watch.takeOwed()
        #expect(nothing == nil)
        let step = look(41.5, 13)  // set back by a minute
        #expect(step.map { abs($0 - 60) < 0.001 } == true)
        let again = look(42.5, 14)
        #expect(again == nil)  // reported once
        let taken = watch.takeOwed()
        let owed = try #require(taken)
        #expect(abs(owed.seconds - 60) < 0.001 && owed.seenAt == wall.addingTimeInterval(41.5))
        let taken2 = watch.takeOwed()
        #expect(taken2 == nil)
        // Refused by the store, then another step of 10 s: both are owed, seen at the later one.
        watch.giveBack(owed)
        let another = look(33.5, 15)
        #expect(another.map { abs($0 - 10) < 0.001 } == true)
        let owedBoth = watch.takeOwed()
        let both = try #require(owedBoth)
        #expect(abs(both.seconds - 70) < 0.001 && both.seenAt == wall.addingTimeInterval(33.5))
    }

    @Test("a job behind its user's head is due as soon as it becomes the head, even after the clock went back")
    func promotedHeadIsDue() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let queued = Date()
        _ = try await store.enqueue([job("a", "first"), job("a", "second")])
        let first = try #require(try await store.claim(destination: "novu", limit: 10, now: Date().addingTimeInterval(1)).first)
        let back = queued.addingTimeInterval(-3600)
        try await store.settle([
            Settlement(jobId: first.id, outcome: .delivered, attempt: AttemptRecord(at: back, status: 201, reason: "delivered"))
        ])
        let second = try await store.claim(destination: "novu", limit: 10, now: back.addingTimeInterval(1))
        #expect(second.map { String(decoding: $0.payload, as: UTF8.self) } == ["second"])
    }

    @Test("the skew shows in jobs never attempted; moving the schedule moves waiting heads and keeps retries' spacing")
    func skewAndMove() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let queued = Date()
        // User b's head is a retry due in 300 s, user a's head was never attempted.
        _ = try await store.enqueue([job("b", "retried")])
        try await attempt(store, at: queued, status: 503, .retry(at: queued.addingTimeInterval(300)))
        let fresh = accepted(try await store.enqueue([job("a", "fresh")]))
        // Before the clock went back, nothing never attempted lies ahead; the retry is stepped over.
        #expect(try await store.scheduleSkew(destination: "novu", now: Date()) == nil)
        let back = Date().addingTimeInterval(-3600)
        let skew = try #require(try await store.scheduleSkew(destination: "novu", now: back))
        #expect(skew > 3590 && skew <= 3600)
        #expect(try await store.claim(destination: "novu", limit: 10, now: back).isEmpty)

        #expect(try await store.moveSchedule(destinations: ["novu"], back: skew, now: { back }, settledSince: nil) == 2)
        #expect(try await store.scheduleSkew(destination: "novu", now: back) == nil)
        let claimed = try await store.claim(destination: "novu", limit: 10, now: back.addingTimeInterval(1))
        #expect(claimed.map(\.id) == fresh)
        // The retry keeps its distance from the (new) now: still about 300 s away.
        let due = try #require(try await store.nextDue(destination: "novu"))
        #expect(abs(due.timeIntervalSince(back) - 300) < 10)
    }

    @Test("a retry and a pause set before the clock went back end when they would have, not an hour later")
    func stepWhileRunning() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let clock = SteppingClock()
        let destination = ThrottledOnce(clock: clock)
        let id = try #require(accepted(try await store.enqueue([job("a", "event")])).first)
        let relay = Relay(store: store, destinations: [destination], logger: quietLogger(), wallClock: { clock.now() })
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        relay.wake("novu")
        try await waitUntil("the first attempt is settled as a retry") {
            let attempts = try await store.jobState(id: id)?.attempts
            let claimed = try await store.claimedCount(destination: "novu")
            return attempts == 1 && claimed == 0
        }
        #expect(relay.status.destination("novu").pausedUntil != nil)
        clock.offset.withLock { $0 = -3600 }
        // Before the fix the retry, and the pause the 429 set, waited for the clock to catch up.
        try await waitUntil("the retry is delivered", timeout: .seconds(30)) {
            try await store.jobState(id: id)?.state == "delivered"
        }
        #expect(destination.attempts.withLock { $0 } == 2)
    }

    @Test("at start, queued events due in the future (the clock went back while stopped) go out at once")
    func stepWhileStopped() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let clock = SteppingClock()
        let ids = accepted(try await store.enqueue([job("a", "one"), job("b", "two")]))
        clock.offset.withLock { $0 = -3600 }
        let destination = ThrottledOnce(clock: clock)
        destination.attempts.withLock { $0 = 1 }  // delivers at once
        let relay = Relay(store: store, destinations: [destination], logger: quietLogger(), wallClock: { clock.now() })
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        try await waitUntil("both events are delivered") {
            try await store.pendingCount(destination: "novu") == 0
        }
        for id in ids { #expect(try await store.jobState(id: id)?.state == "delivered") }
    }
}
