import Foundation
import TestSupport
import Testing

@testable import Delivery

/// The queue gauges' figures: what is queued per destination and how old the oldest queued job is.
@Suite("Queue figures")
struct QueueFiguresTests {
    func job(_ user: String, destination: String = "novu", dead: String? = nil) -> NewJob {
        NewJob(destination: destination, orderingKey: user, kind: "trigger", payload: Data("{}".utf8), deadLetterReason: dead)
    }

    @Test("queued and claimed jobs count, settled and dead-lettered ones do not; the age is the oldest queued job's")
    func figures() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let before = Date()
        _ = try await store.enqueue([job("a"), job("b"), job("c", dead: "no subscriber"), job("s", destination: "segment")])
        let after = Date()
        // a is delivered, b is claimed (in flight), then d is queued behind nothing.
        let claimed = try await store.claim(destination: "novu", limit: 2, now: after.addingTimeInterval(1))
        try #require(claimed.map(\.orderingKey) == ["a", "b"])
        try await store.settle([Settlement(jobId: claimed[0].id, outcome: .delivered)])
        _ = try await store.enqueue([job("d")])

        let now = after.addingTimeInterval(100)
        let figures = try await store.queueFigures(now: now, destinations: ["novu", "segment", "other"])
        #expect(figures.map(\.destination) == ["novu", "segment", "other"])
        #expect(figures.map(\.queued) == [2, 1, 0])
        // b, queued in the first commit, is the oldest job still queued for novu.
        let novuAge = try #require(figures[0].oldestPendingAge)
        #expect(novuAge >= now.timeIntervalSince(after) && novuAge <= now.timeIntervalSince(before))
        #expect(figures[2].oldestPendingAge == nil)
        // The same figures `bridge stats` shows.
        let stats = try await store.stats(now: now, destinations: ["novu", "segment", "other"])
        #expect(stats.map(\.queued) == figures.map(\.queued))
        #expect(stats.map(\.oldestPendingAge) == figures.map(\.oldestPendingAge))
    }
}
