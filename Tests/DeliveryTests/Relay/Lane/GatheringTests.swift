import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import Delivery

/// The gather window's bookkeeping, with explicit instants: what is sent, held, and when the next
/// claim may run.
@Suite("Gather window")
struct GatheringTests {
    /// Takes requests of four; while gathering, a tail that would not fill one waits.
    struct Fours: DeliveryDestination {
        let name = "fours"
        func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]] {
            stride(from: 0, to: jobs.count, by: 4).map { Array(jobs[$0..<min($0 + 4, jobs.count)]) }
        }
        func plan(_ jobs: [ClaimedJob], gathering: Bool) -> (requests: [[ClaimedJob]], waiting: [ClaimedJob]) {
            let partial = gathering ? jobs.count % 4 : 0
            return (plan(Array(jobs.dropLast(partial))), Array(jobs.suffix(partial)))
        }
        func deliver(_ jobs: [ClaimedJob]) async -> [AttemptResult] { [] }
    }

    func jobs(_ ids: ClosedRange<Int64>) -> [ClaimedJob] {
        ids.map { ClaimedJob(id: $0, destination: "fours", orderingKey: "user-\($0)", kind: "k", payload: Data()) }
    }

    let start = ContinuousClock.now
    let window = Duration.milliseconds(100)

    @Test("a partial request waits; the held jobs fill the next full one first")
    func holdsThenFills() {
        var gathering = Relay.Gathering(window: window)
        #expect(gathering.plan(claimed: jobs(1...6), exhausted: true, for: Fours(), now: start).map { $0.map(\.id) } == [[1, 2, 3, 4]])
        #expect(gathering.held.map(\.id) == [5, 6])
        #expect(gathering.nextClaim == start + window)
        let later = start + .milliseconds(40)
        #expect(gathering.plan(claimed: jobs(7...8), exhausted: true, for: Fours(), now: later).map { $0.map(\.id) } == [[5, 6, 7, 8]])
        #expect(gathering.held.isEmpty)
        #expect(gathering.nextClaim == later + window)
    }

    @Test("when the oldest held job has waited a window, everything held goes")
    func expiry() {
        var gathering = Relay.Gathering(window: window)
        _ = gathering.plan(claimed: jobs(1...1), exhausted: true, for: Fours(), now: start)
        _ = gathering.plan(claimed: jobs(2...2), exhausted: true, for: Fours(), now: start + .milliseconds(50))
        #expect(gathering.held.map(\.id) == [1, 2])
        // The next claim is due when job 1's window ends, not a window after the last round.
        #expect(gathering.nextClaim == start + window)
        let sent = gathering.plan(claimed: [], exhausted: true, for: Fours(), now: start + window)
        #expect(sent.map { $0.map(\.id) } == [[1, 2]])
        #expect(gathering.held.isEmpty)
        #expect(gathering.nextClaim == nil)
    }

    @Test("a backlog is not slowed: a round that left work due holds nothing and claims again at once")
    func backlog() {
        var gathering = Relay.Gathering(window: window)
        let sent = gathering.plan(claimed: jobs(1...6), exhausted: false, for: Fours(), now: start)
        #expect(sent.map { $0.map(\.id) } == [[1, 2, 3, 4], [5, 6]])
        #expect(gathering.held.isEmpty)
        #expect(gathering.nextClaim == nil)
    }

    @Test("with no window nothing is held and claims are not spaced")
    func off() {
        var gathering = Relay.Gathering(window: .zero)
        #expect(gathering.plan(claimed: jobs(1...3), exhausted: true, for: Fours(), now: start).count == 1)
        #expect(gathering.held.isEmpty)
        #expect(gathering.nextClaim == nil)
    }

    @Test("takeAll hands back what is held and clears the window")
    func takeAll() {
        var gathering = Relay.Gathering(window: window)
        _ = gathering.plan(claimed: jobs(1...3), exhausted: true, for: Fours(), now: start)
        #expect(gathering.takeAll().map(\.id) == [1, 2, 3])
        #expect(gathering.held.isEmpty)
        #expect(gathering.nextClaim == nil)
    }

    /// A store holding jobs 1–3, one per user, that hands them out once, then refuses every claim.
    func failingStore() async throws -> FaultyQueue {
        let store = InMemoryStore()
        _ = try await store.enqueue((1...3).map { NewJob(destination: "fours", orderingKey: "user-\($0)", kind: "k", payload: Data()) })
        return FaultyQueue(store, error: StoreError("disk I/O error")) { operation, call in operation == .claim && call > 1 }
    }

    /// `Fours` that records what it was asked to deliver.
    final class RecordingFours: DeliveryDestination {
        let name = "fours"
        let delivered = Mutex<[Int64]>([])
        func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]] { Fours().plan(jobs) }
        func plan(_ jobs: [ClaimedJob], gathering: Bool) -> (requests: [[ClaimedJob]], waiting: [ClaimedJob]) {
            Fours().plan(jobs, gathering: gathering)
        }
        func deliver(_ jobs: [ClaimedJob]) async -> [AttemptResult] {
            delivered.withLock { $0 += jobs.map(\.id) }
            return jobs.map { _ in AttemptResult(.delivered(), reason: "delivered") }
        }
    }

    @Test("when the next claim fails, the held jobs go out instead of waiting on a store that refuses")
    func claimFailureSendsHeld() async throws {
        let destination = RecordingFours()
        var configuration = Relay.Configuration()
        configuration.gatherWindow["fours"] = .milliseconds(200)
        let logger = quietLogger()
        let relay = Relay(store: try await failingStore(), destinations: [destination], configuration: configuration, logger: logger)
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        relay.wake("fours")
        try await waitUntil("the held jobs are delivered") { destination.delivered.withLock { $0.sorted() } == [1, 2, 3] }
    }
}
