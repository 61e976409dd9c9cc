import Foundation

/// One lane's decisions, as a value: events in, actions out. No store, doorbell, clock or task inside:
/// `Relay.Lane` performs each action and hands back what came of it, with the time, so every path is
/// testable with plain values.
///
/// A round: look at the destination (paused: sleep until the pause ends); with the buffer empty and a
/// slot free, claim (held: one probe at a time, alone; else once the gather window allows); start the
/// planned requests while slots are free, paced by the rate ceiling; then wait for a slot, claim again
/// at once while work is due, or wait for new work until the next job is due.
struct LaneMachine {
    /// What the lane does next. Each names the event that answers it.
    enum Action: Equatable {
        /// Read the time (following a wall clock set back) and the destination's state: `looked`.
        case look
        /// Sleep until then, through rings: a pause, the gather window or the rate ceiling holds
        /// whatever work arrives, and at thousands of events a second each wake-up costs: `woke`.
        case sleep(until: ContinuousClock.Instant)
        /// Wait until then or the next ring (new work, a finished send): `woke`.
        case wait(until: ContinuousClock.Instant)
        /// Claim up to `limit` due jobs: `claimed` or `claimFailed`.
        case claim(limit: Int)
        /// The destination is held: claim one job, to send alone as a probe: `claimed` or `claimFailed`.
        case probe
        /// Give these claimed jobs back to the queue, trying until it takes them: `released`.
        case release([ClaimedJob])
        /// Start one request with these jobs: `started`.
        case send([ClaimedJob])
        /// Ask the queue when its next job is due: `nextDue`.
        case findNextDue
        /// Stopping: give back these claimed jobs not started, let the requests in flight end within the
        /// shutdown timeout, abandon the rest. The last action.
        case stop(release: [ClaimedJob])
    }

    /// What came of an action, or what happened meanwhile.
    enum Event: Equatable {
        /// The destination's state: paused until then (`nil`: not paused), held or not.
        case looked(pausedUntil: Date?, held: Bool)
        /// A sleep or a wait ended.
        case woke
        case claimed([ClaimedJob])
        /// The store refused the claim.
        case claimFailed
        case released
        case started
        /// The queue's next job is due then (`nil`: none queued, or the store did not say).
        case nextDue(Date?)
        /// The relay is stopping.
        case stopping
    }

    /// A reading of both clocks: the wall clock's for pauses, due times and the rate ceiling, the
    /// continuous clock's for sleeps and the gather window.
    struct Moment: Equatable {
        var wall: Date
        var continuous: ContinuousClock.Instant
    }

    /// What the machine waits for, and so what the answering event means.
    private enum Phase {
        case looking, pausing, gatherPacing, claiming, releasing, ratePacing, sending, waiting, findingNextDue, stopped
    }

    /// The facts of the current round.
    private struct Round {
        /// The destination is held: probe, nothing else.
        var probing = false
        /// How many jobs the round's claim asked for.
        var asked = 0
        var claimedAny = false
        /// The claim took fewer jobs than it asked for: nothing more was due.
        var exhausted = false
        var claimFailed = false
    }

    /// Only its planning (`plan`, `cost`) is used: pure.
    private let destination: any DeliveryDestination
    private let maxConcurrentRequests: Int
    private let claimBatch: Int
    private let idlePoll: Duration
    private var phase = Phase.looking
    private var round = Round()
    private var now: Moment
    /// Claimed and planned requests, to start as slots free up.
    private(set) var buffer: [[ClaimedJob]] = []
    /// Requests started and not yet finished.
    private(set) var inFlight = 0
    private(set) var gathering: Relay.Gathering
    private var bucket: TokenBucket?
    /// The rate ceiling's tokens for the buffer's first request are taken.
    private var headPaid = false

    init(destination: any DeliveryDestination, configuration: Relay.Configuration, now: Moment) {
        self.destination = destination
        maxConcurrentRequests = configuration.maxConcurrentRequests
        claimBatch = configuration.claimBatch
        idlePoll = configuration.idlePoll
        self.now = now
        gathering = Relay.Gathering(window: configuration.gatherWindow[destination.name] ?? .zero)
        bucket = configuration.maxRequestsPerSecond[destination.name].map { TokenBucket(ratePerSecond: $0, now: now.wall) }
    }

    /// The first action.
    func start() -> Action { .look }

    /// `count` requests finished: their slots are free. Not an action's answer: a finishing send also
    /// rings the doorbell, which ends the lane's wait, and the lane counts finished sends before each event.
    mutating func sendsFinished(_ count: Int) {
        inFlight -= count
    }

    /// Takes `event`, which happened at `now`, and says what to do next.
    mutating func handle(_ event: Event, now: Moment) -> Action {
        self.now = now
        switch (phase, event) {
        case (.stopped, _): return .stop(release: [])
        case (_, .stopping): return stop()
        case (.looking, .looked(let pausedUntil, let held)): return look(pausedUntil: pausedUntil, held: held)
        case (.pausing, .woke), (.waiting, .woke): return nextRound()
        case (.gatherPacing, .woke): return claim()
        case (.claiming, .claimed(let jobs)): return claimed(jobs)
        case (.claiming, .claimFailed): return claimFailed()
        case (.releasing, .released):
            _ = gathering.takeAll()
            return claimOrDispatch()
        case (.ratePacing, .woke): return send()
        case (.sending, .started):
            buffer.removeFirst()
            inFlight += 1
            headPaid = false
            return dispatch()
        case (.findingNextDue, .nextDue(let due)): return wait(idleWait(due: due))
        default: preconditionFailure("lane: \(event) while \(phase)")
        }
    }

    private mutating func nextRound() -> Action {
        phase = .looking
        return .look
    }

    private mutating func look(pausedUntil: Date?, held: Bool) -> Action {
        if let until = pausedUntil, until > now.wall {
            // New work cannot end a pause. The headers that set pauses are capped when read; the cap here
            // keeps the sleep finite anyway.
            phase = .pausing
            return .sleep(until: now.continuous + .seconds(min(until.timeIntervalSince(now.wall), RetryAfter.longest)))
        }
        round = Round(probing: held)
        return claimOrDispatch()
    }

    /// Claims when the buffer is empty and a slot is free; otherwise starts what is planned.
    private mutating func claimOrDispatch() -> Action {
        guard buffer.isEmpty, inFlight < maxConcurrentRequests else { return dispatch() }
        guard round.probing else {
            if let until = gathering.nextClaim, until > now.continuous {
                phase = .gatherPacing
                return .sleep(until: until)
            }
            return claim()
        }
        // While held, one probe at a time and nothing else: what was gathered goes back to the queue.
        if !gathering.held.isEmpty {
            phase = .releasing
            return .release(gathering.held)
        }
        guard inFlight == 0 else { return dispatch() }
        (phase, round.asked) = (.claiming, 1)
        return .probe
    }

    private mutating func claim() -> Action {
        (phase, round.asked) = (.claiming, max(1, claimBatch - gathering.held.count))
        return .claim(limit: round.asked)
    }

    private mutating func claimed(_ jobs: [ClaimedJob]) -> Action {
        round.claimedAny = !jobs.isEmpty
        round.exhausted = jobs.count < round.asked
        // A probe goes out at once, alone.
        buffer =
            round.probing
            ? destination.plan(jobs)
            : gathering.plan(claimed: jobs, exhausted: round.exhausted, for: destination, now: now.continuous)
        return dispatch()
    }

    private mutating func claimFailed() -> Action {
        // What is gathered goes now (it is claimed already); the next claim waits an idle poll.
        buffer = destination.plan(gathering.takeAll())
        round.claimFailed = true
        return dispatch()
    }

    /// Starts the buffer's next request while a slot is free, after the rate ceiling's wait; then decides
    /// how the round ends.
    private mutating func dispatch() -> Action {
        guard let head = buffer.first, inFlight < maxConcurrentRequests else { return endRound() }
        if !headPaid, var bucket {
            headPaid = true
            let wait = bucket.reserve(cost: destination.cost(of: head), now: now.wall)
            self.bucket = bucket
            if wait > 0 {
                // A low ceiling can mean minutes: shutdown ends the sleep, and the request is then
                // released with the rest of the buffer.
                phase = .ratePacing
                return .sleep(until: now.continuous + .seconds(wait))
            }
        }
        return send()
    }

    private mutating func send() -> Action {
        phase = .sending
        return .send(buffer[0])
    }

    private mutating func endRound() -> Action {
        // The store refused the claim: look again after the idle poll, not in a tight loop. Or all slots
        // are taken: every finishing send rings.
        if round.claimFailed || !buffer.isEmpty || inFlight >= maxConcurrentRequests { return wait(idlePoll) }
        // More may be due right now. Gathered jobs go when their window ends (the claim waits for it).
        if round.claimedAny && !round.exhausted || !gathering.held.isEmpty { return nextRound() }
        // Wait for new work, a finished send (it may free its user's next job) or the next retry's time,
        // without an empty round first.
        phase = .findingNextDue
        return .findNextDue
    }

    private mutating func wait(_ timeout: Duration) -> Action {
        phase = .waiting
        return .wait(until: now.continuous + timeout)
    }

    /// Until the next job is due, at most an idle poll (in case a wake-up was missed), at least 1 ms.
    private func idleWait(due: Date?) -> Duration {
        guard let due else { return idlePoll }
        return min(max(.seconds(max(0, due.timeIntervalSince(now.wall))), .milliseconds(1)), idlePoll)
    }

    /// Gives back what was claimed and not started; the requests in flight are the lane's to drain.
    private mutating func stop() -> Action {
        phase = .stopped
        defer { buffer = [] }
        return .stop(release: buffer.flatMap { $0 } + gathering.takeAll())
    }
}
