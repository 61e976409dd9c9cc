import Foundation
import Testing

@testable import Delivery

/// A lane's decisions as sequences of events and the actions they lead to: no store, no doorbell, no
/// sleeping; the time is given with each event.
@Suite("Lane machine")
struct LaneMachineTests {
    typealias Moment = LaneMachine.Moment

    /// One job per request; a request costs one token.
    struct Singles: DeliveryDestination {
        let name = "singles"
        func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]] { jobs.map { [$0] } }
        func deliver(_ jobs: [ClaimedJob]) async -> [AttemptResult] { [] }
    }

    /// Requests of four; while gathering, a tail that would not fill one waits.
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

    let start = Moment(wall: Date(timeIntervalSince1970: 1_800_000_000), continuous: ContinuousClock.now)
    let idlePoll = Duration.seconds(1)

    /// `seconds` after the start, on both clocks.
    func at(_ seconds: Double) -> Moment {
        Moment(wall: start.wall.addingTimeInterval(seconds), continuous: start.continuous + .seconds(seconds))
    }

    func jobs(_ ids: ClosedRange<Int64>) -> [ClaimedJob] {
        ids.map { ClaimedJob(id: $0, destination: "d", orderingKey: "user-\($0)", kind: "k", payload: Data(), createdAt: start.wall) }
    }

    func machine(
        _ destination: any DeliveryDestination = Singles(),
        claimBatch: Int = 10,
        slots: Int = 16,
        window: Duration? = nil,
        ceiling: Double? = nil
    ) -> LaneMachine {
        var configuration = Relay.Configuration()
        configuration.claimBatch = claimBatch
        configuration.maxConcurrentRequests = slots
        configuration.idlePoll = idlePoll
        configuration.gatherWindow[destination.name] = window
        configuration.maxRequestsPerSecond[destination.name] = ceiling
        return LaneMachine(destination: destination, configuration: configuration, now: start)
    }

    static let open = LaneMachine.Event.looked(pausedUntil: nil, held: false)
    static let held = LaneMachine.Event.looked(pausedUntil: nil, held: true)

    /// Starts `units` requests in a row, at `now`, and returns what follows the last.
    func start(_ units: [[ClaimedJob]], on machine: inout LaneMachine, at now: Moment, first: LaneMachine.Action) -> LaneMachine.Action {
        var action = first
        for unit in units {
            #expect(action == .send(unit))
            action = machine.handle(.started, now: now)
        }
        return action
    }

    @Test("a round claims a batch, starts its requests, and with nothing more due waits until the next job is")
    func round() {
        var lane = machine()
        #expect(lane.start() == .look)
        #expect(lane.handle(Self.open, now: at(0)) == .claim(limit: 10))
        let next = start(jobs(1...3).map { [$0] }, on: &lane, at: at(0), first: lane.handle(.claimed(jobs(1...3)), now: at(0)))
        #expect(next == .findNextDue)
        #expect(lane.inFlight == 3)
        #expect(lane.handle(.nextDue(start.wall.addingTimeInterval(0.25)), now: at(0)) == .wait(until: at(0.25).continuous))
        #expect(lane.handle(.woke, now: at(0.25)) == .look)
    }

    @Test("the idle wait lasts until the next job is due, at least 1 ms and at most the idle poll")
    func idleWait() {
        let dues: [(Date?, Duration)] = [
            (nil, idlePoll), (start.wall.addingTimeInterval(-5), .milliseconds(1)),
            (start.wall.addingTimeInterval(0.5), .milliseconds(500)), (start.wall.addingTimeInterval(3600), idlePoll),
        ]
        for (due, wait) in dues {
            var lane = machine()
            _ = lane.handle(Self.open, now: at(0))
            #expect(lane.handle(.claimed([]), now: at(0)) == .findNextDue)
            #expect(lane.handle(.nextDue(due), now: at(0)) == .wait(until: start.continuous + wait))
        }
    }

    @Test("a claim that took all it asked for (a backlog) is followed by another at once")
    func backlog() {
        var lane = machine(claimBatch: 3)
        _ = lane.handle(Self.open, now: at(0))
        let next = start(jobs(1...3).map { [$0] }, on: &lane, at: at(0), first: lane.handle(.claimed(jobs(1...3)), now: at(0)))
        #expect(next == .look)
        #expect(lane.handle(Self.open, now: at(0)) == .claim(limit: 3))
    }

    @Test("with the gather window a partial request waits, the next claim waits the window and asks for fewer")
    func gathering() {
        var lane = machine(Fours(), window: .milliseconds(100))
        #expect(lane.handle(Self.open, now: at(0)) == .claim(limit: 10))
        let next = start([Array(jobs(1...4))], on: &lane, at: at(0), first: lane.handle(.claimed(jobs(1...6)), now: at(0)))
        #expect(lane.gathering.held.map(\.id) == [5, 6])
        // Something is gathered: round again, where the claim waits for the window, through rings.
        #expect(next == .look)
        #expect(lane.handle(Self.open, now: at(0.01)) == .sleep(until: at(0.1).continuous))
        #expect(lane.handle(.woke, now: at(0.1)) == .claim(limit: 8))
        #expect(lane.handle(.claimed(jobs(7...8)), now: at(0.1)) == .send(Array(jobs(5...8))))
    }

    @Test("while held: what was gathered goes back, then one probe at a time, sent alone")
    func probe() {
        var lane = machine(Fours(), window: .milliseconds(100))
        _ = lane.handle(Self.open, now: at(0))
        _ = start([Array(jobs(1...4))], on: &lane, at: at(0), first: lane.handle(.claimed(jobs(1...6)), now: at(0)))
        #expect(lane.handle(Self.held, now: at(0.01)) == .release(Array(jobs(5...6))))
        // A request is in flight: no probe beside it.
        #expect(lane.handle(.released, now: at(0.01)) == .findNextDue)
        #expect(lane.gathering.held.isEmpty)
        _ = lane.handle(.nextDue(nil), now: at(0.01))
        lane.sendsFinished(1)
        #expect(lane.handle(.woke, now: at(0.5)) == .look)
        #expect(lane.handle(Self.held, now: at(0.5)) == .probe)
        #expect(lane.handle(.claimed(jobs(7...7)), now: at(0.5)) == .send(Array(jobs(7...7))))
        #expect(lane.handle(.started, now: at(0.5)) == .look)
        #expect(lane.handle(Self.held, now: at(0.5)) == .findNextDue)
    }

    @Test("with every slot taken the lane waits for a finishing send, then starts what is planned before claiming")
    func slots() {
        var lane = machine(slots: 2)
        _ = lane.handle(Self.open, now: at(0))
        let next = start(jobs(1...2).map { [$0] }, on: &lane, at: at(0), first: lane.handle(.claimed(jobs(1...3)), now: at(0)))
        #expect(next == .wait(until: at(0).continuous + idlePoll))
        #expect(lane.buffer == [Array(jobs(3...3))])
        lane.sendsFinished(1)
        #expect(lane.handle(.woke, now: at(0.2)) == .look)
        #expect(lane.handle(Self.open, now: at(0.2)) == .send(Array(jobs(3...3))))
        // The buffer is empty, but no slot is free: no claim.
        #expect(lane.handle(.started, now: at(0.2)) == .wait(until: at(0.2).continuous + idlePoll))
    }

    @Test("a pause is slept through (new work does not end it), at most 24 h at a time")
    func pause() {
        var lane = machine()
        let paused = LaneMachine.Event.looked(pausedUntil: start.wall.addingTimeInterval(5), held: false)
        #expect(lane.handle(paused, now: at(0)) == .sleep(until: at(5).continuous))
        #expect(lane.handle(.woke, now: at(5)) == .look)
        #expect(lane.handle(paused, now: at(5)) == .claim(limit: 10))
        var far = machine()
        let year = LaneMachine.Event.looked(pausedUntil: start.wall.addingTimeInterval(365 * 86400), held: false)
        #expect(far.handle(year, now: at(0)) == .sleep(until: at(RetryAfter.longest).continuous))
    }

    @Test("a failed claim sends what was gathered and waits an idle poll before claiming again")
    func claimFailure() {
        var lane = machine(Fours(), window: .milliseconds(100))
        _ = lane.handle(Self.open, now: at(0))
        _ = start([Array(jobs(1...4))], on: &lane, at: at(0), first: lane.handle(.claimed(jobs(1...6)), now: at(0)))
        #expect(lane.handle(Self.open, now: at(0.2)) == .claim(limit: 8))
        #expect(lane.handle(.claimFailed, now: at(0.2)) == .send(Array(jobs(5...6))))
        #expect(lane.handle(.started, now: at(0.2)) == .wait(until: at(0.2).continuous + idlePoll))
        var empty = machine()
        _ = empty.handle(Self.open, now: at(0))
        #expect(empty.handle(.claimFailed, now: at(0)) == .wait(until: at(0).continuous + idlePoll))
    }

    @Test("the rate ceiling sleeps through rings before a request it has no token for, and charges it once")
    func ceiling() {
        var lane = machine(ceiling: 1)
        _ = lane.handle(Self.open, now: at(0))
        #expect(lane.handle(.claimed(jobs(1...2)), now: at(0)) == .send(Array(jobs(1...1))))
        #expect(lane.handle(.started, now: at(0)) == .sleep(until: at(1).continuous))
        #expect(lane.handle(.woke, now: at(1)) == .send(Array(jobs(2...2))))
        #expect(lane.handle(.started, now: at(1)) == .findNextDue)
    }

    @Test("stopping gives back the planned requests not started and the gathered jobs; sends in flight drain")
    func stop() {
        var lane = machine(Fours(), window: .milliseconds(100))
        _ = lane.handle(Self.open, now: at(0))
        #expect(lane.handle(.claimed(jobs(1...9)), now: at(0)) == .send(Array(jobs(1...4))))
        #expect(lane.handle(.started, now: at(0)) == .send(Array(jobs(5...8))))
        // The second request was decided, not started: it goes back too.
        #expect(lane.handle(.stopping, now: at(0)) == .stop(release: Array(jobs(5...9))))
        #expect(lane.inFlight == 1)
        #expect(lane.buffer.isEmpty && lane.gathering.held.isEmpty)
        #expect(lane.handle(.woke, now: at(1)) == .stop(release: []))
    }

    @Test("stopping during a rate-ceiling sleep gives back the request that waited for its token")
    func stopWhilePaced() {
        var lane = machine(ceiling: 1)
        _ = lane.handle(Self.open, now: at(0))
        _ = lane.handle(.claimed(jobs(1...2)), now: at(0))
        _ = lane.handle(.started, now: at(0))
        #expect(lane.handle(.stopping, now: at(0.1)) == .stop(release: Array(jobs(2...2))))
    }
}
