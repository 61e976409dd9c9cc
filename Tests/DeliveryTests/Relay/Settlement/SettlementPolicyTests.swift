import Foundation
import Testing

@testable import Delivery

/// DESIGN §5's rules as a table: an attempt's result, the job and its destination's state in; the job's
/// outcome, the change of the destination's state and the lines for the operator out.
@Suite("Settlement policy")
struct SettlementPolicyTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let policy: SettlementPolicy = {
        var configuration = Relay.Configuration()
        configuration.maxRetryAge = .seconds(3600)
        configuration.holdProbeInterval = .seconds(60)
        return SettlementPolicy(configuration)
    }()
    /// Third attempt: the backoff is 1 s × 2² = 4 s at the midpoint of the jitter.
    static let job = ClaimedJob(id: 7, destination: "novu", orderingKey: "u", kind: "trigger", payload: Data(), attempts: 2)
    static let follow = Follow(transactionId: "t-1", firstLookAt: now.addingTimeInterval(60))
    static let healthy = RelayStatus.Destination()
    static let failing = { () -> RelayStatus.Destination in
        var state = RelayStatus.Destination()
        state.failing = true
        return state
    }()
    static let held = RelayStatus.Destination(held: true, holdReason: "novu refused the credentials (401)")

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var result: AttemptResult
        var job = SettlementPolicyTests.job
        var state = SettlementPolicyTests.healthy
        var outcome: Settlement.Outcome
        var change = DestinationChange()
        var notices: [SettlementPolicy.Notice] = []
        var testDescription: String { name }
    }

    static func answer(_ status: Int, retryAfter seconds: TimeInterval? = nil) -> AttemptResult.Answer {
        AttemptResult.Answer(status: status, excerpt: "body", retryAfter: seconds.map { now.addingTimeInterval($0) })
    }

    static func old(_ age: TimeInterval) -> ClaimedJob {
        var job = job
        job.firstAttemptAt = now.addingTimeInterval(-age)
        return job
    }

    static let heldReason = "novu refused the credentials (401): events held, not dropped"

    static let cases: [Case] = [
        Case(
            name: "a delivery lifts a hold and ends failing, saying so once each",
            result: AttemptResult(.delivered(follow: follow, acknowledged: "t-1"), reason: "delivered", answer: answer(201)),
            state: {
                var state = held
                state.failing = true
                return state
            }(),
            outcome: .delivered,
            change: DestinationChange(hold: .lifted, failing: false),
            notices: [.credentialsAccepted, .deliversAgain]
        ),
        Case(
            name: "a delivery to a healthy destination changes nothing to tell",
            result: AttemptResult(.delivered(), reason: "delivered", answer: answer(201)),
            outcome: .delivered,
            change: DestinationChange(hold: .lifted, failing: false)
        ),
        Case(
            name: "a dry run settles as dry_run and, like a delivery, ends failing",
            result: AttemptResult(.dryRun, reason: "dry run"),
            state: failing,
            outcome: .dryRun,
            change: DestinationChange(hold: .lifted, failing: false),
            notices: [.deliversAgain]
        ),
        Case(
            name: "a payload refused (422) dead-letters and lifts a hold: the credentials work",
            result: AttemptResult(.refused, reason: "HTTP 422", answer: answer(422)),
            state: held,
            outcome: .deadLetter(reason: "HTTP 422"),
            change: DestinationChange(hold: .lifted),
            notices: [.credentialsAccepted]
        ),
        Case(
            name: "a local refusal (no answer) says nothing about the credentials",
            result: AttemptResult(.refused, reason: "request body over 512 KB"),
            state: held,
            outcome: .deadLetter(reason: "request body over 512 KB")
        ),
        Case(
            name: "a 501 is refused but is no 4xx: the hold stays",
            result: AttemptResult(.refused, reason: "HTTP 501", answer: answer(501)),
            state: held,
            outcome: .deadLetter(reason: "HTTP 501")
        ),
        Case(
            name: "credentials refused (401) hold the destination until the next probe",
            result: AttemptResult(.hold, reason: "HTTP 401", answer: answer(401)),
            outcome: .hold(until: now.addingTimeInterval(60)),
            change: DestinationChange(pauseUntil: now.addingTimeInterval(60), hold: .held(reason: heldReason)),
            notices: [.held(reason: heldReason, status: 401)]
        ),
        Case(
            name: "a hold while held is not told again",
            result: AttemptResult(.hold, reason: "HTTP 403", answer: answer(403)),
            state: held,
            outcome: .hold(until: now.addingTimeInterval(60)),
            change: DestinationChange(
                pauseUntil: now.addingTimeInterval(60),
                hold: .held(reason: "novu refused the credentials (403): events held, not dropped")
            )
        ),
        Case(
            name: "a hold decided here (no credential) gives its own reason",
            result: AttemptResult(.hold, reason: "NOVU_API_KEY is not set"),
            outcome: .hold(until: now.addingTimeInterval(60)),
            change: DestinationChange(pauseUntil: now.addingTimeInterval(60), hold: .held(reason: "novu: NOVU_API_KEY is not set")),
            notices: [.held(reason: "novu: NOVU_API_KEY is not set", status: nil)]
        ),
        Case(
            name: "a retry backs off from the attempt count and starts failing",
            result: AttemptResult(.retry, reason: "HTTP 500", answer: answer(500)),
            outcome: .retry(at: now.addingTimeInterval(4)),
            change: DestinationChange(failing: true),
            notices: [.failing(status: 500, reason: "HTTP 500", jobId: 7, attempt: 3)]
        ),
        Case(
            name: "a retry while failing is not told again",
            result: AttemptResult(.retry, reason: "connection refused"),
            state: failing,
            outcome: .retry(at: now.addingTimeInterval(4)),
            change: DestinationChange(failing: true)
        ),
        Case(
            name: "a 503 with Retry-After retries no sooner and pauses the destination",
            result: AttemptResult(.retry, reason: "HTTP 503", answer: answer(503, retryAfter: 30)),
            state: failing,
            outcome: .retry(at: now.addingTimeInterval(30)),
            change: DestinationChange(pauseUntil: now.addingTimeInterval(30), failing: true)
        ),
        Case(
            name: "a 503 without Retry-After pauses nothing",
            result: AttemptResult(.retry, reason: "HTTP 503", answer: answer(503)),
            state: failing,
            outcome: .retry(at: now.addingTimeInterval(4)),
            change: DestinationChange(failing: true)
        ),
        Case(
            name: "a 429 pauses the destination until the retry, even without Retry-After",
            result: AttemptResult(.retry, reason: "HTTP 429", answer: answer(429)),
            state: failing,
            outcome: .retry(at: now.addingTimeInterval(4)),
            change: DestinationChange(pauseUntil: now.addingTimeInterval(4), failing: true)
        ),
        Case(
            name: "a Retry-After shorter than the backoff is only a floor",
            result: AttemptResult(.retry, reason: "HTTP 429", answer: answer(429, retryAfter: 1)),
            state: failing,
            outcome: .retry(at: now.addingTimeInterval(4)),
            change: DestinationChange(pauseUntil: now.addingTimeInterval(1), failing: true)
        ),
        Case(
            name: "a retry exactly the give-up age after the first attempt expires",
            result: AttemptResult(.retry, reason: "HTTP 500", answer: answer(500)),
            job: old(3600),
            state: failing,
            outcome: .deadLetter(reason: "expired"),
            change: DestinationChange(failing: true)
        ),
        Case(
            name: "a retry a second short of the give-up age is retried",
            result: AttemptResult(.retry, reason: "HTTP 500", answer: answer(500)),
            job: old(3599),
            state: failing,
            outcome: .retry(at: now.addingTimeInterval(4)),
            change: DestinationChange(failing: true)
        ),
        Case(
            name: "a split goes again at once, even past the give-up age, and says nothing of the destination",
            result: AttemptResult(.split, reason: "bulk request refused (HTTP 400)", answer: answer(400)),
            job: old(7200),
            outcome: .retry(at: now)
        ),
        Case(
            name: "RateLimit-Remaining: 0 pauses the destination whatever the job's fate",
            result: AttemptResult(.delivered(), reason: "delivered", answer: answer(201), pauseUntil: now.addingTimeInterval(5)),
            outcome: .delivered,
            change: DestinationChange(pauseUntil: now.addingTimeInterval(5), hold: .lifted, failing: false)
        ),
        Case(
            name: "of two pauses (a hold's probe, the rate limit's reset) the later wins",
            result: AttemptResult(.hold, reason: "HTTP 401", answer: answer(401), pauseUntil: now.addingTimeInterval(90)),
            state: held,
            outcome: .hold(until: now.addingTimeInterval(60)),
            change: DestinationChange(pauseUntil: now.addingTimeInterval(90), hold: .held(reason: heldReason))
        ),
        Case(
            name: "an attempt abandoned by shutdown is released: nothing recorded, not even a pause",
            result: AttemptResult(.abandoned, reason: "cancelled", pauseUntil: now.addingTimeInterval(5)),
            state: held,
            outcome: .release
        ),
    ]

    func decide(_ row: Case) -> SettlementPolicy.Decision {
        Self.policy.decide(row.result, for: row.job, destination: "novu", state: row.state, now: Self.now, random: 0.5)
    }

    @Test("each result comes to its outcome, change and notices", arguments: cases)
    func table(_ row: Case) {
        let decision = decide(row)
        #expect(decision.settlement.jobId == row.job.id)
        #expect(decision.settlement.outcome == row.outcome)
        #expect(decision.change == row.change)
        #expect(decision.notices == row.notices)
    }

    @Test("every attempt but an abandoned one is recorded as answered", arguments: cases)
    func record(_ row: Case) {
        let attempt = decide(row).settlement.attempt
        guard row.outcome != .release else {
            #expect(attempt == nil)
            return
        }
        #expect(attempt?.at == Self.now)
        #expect(attempt?.status == row.result.answer?.status)
        #expect(attempt?.reason == row.result.reason)
        #expect(attempt?.response == row.result.answer?.excerpt)
    }

    @Test("a failed attempt keeps its request, at most its first 64 KiB; a delivered one keeps none")
    func requestKept() {
        let long = "POST /v1/events/trigger\n\n" + String(repeating: "x", count: 300_000)
        let failed = AttemptResult(.retry, reason: "HTTP 503", answer: Self.answer(503), request: long)
        let kept = decide(Case(name: "", result: failed, outcome: .release)).settlement.attempt?.request
        #expect(kept?.hasPrefix("POST /v1/events/trigger\n\nxxx") == true)
        #expect(kept?.hasSuffix("… (the first 64 KiB of \(long.utf8.count) bytes)") == true)
        #expect((kept?.utf8.count ?? .max) < 66 * 1024)
        let short = AttemptResult(.refused, reason: "HTTP 422", answer: Self.answer(422), request: "GET /x")
        #expect(decide(Case(name: "", result: short, outcome: .release)).settlement.attempt?.request == "GET /x")
        for verdict in [AttemptResult.Verdict.delivered(), .dryRun] {
            let sent = AttemptResult(verdict, reason: "delivered", request: "GET /x")
            #expect(decide(Case(name: "", result: sent, outcome: .release)).settlement.attempt?.request == nil)
        }
    }

    @Test("only a delivery records what to follow and what Novu acknowledged")
    func followOnlyDelivered() {
        let delivered = decide(Self.cases[0]).settlement
        #expect(delivered.follow == Self.follow)
        #expect(delivered.acknowledged == "t-1")
        for row in Self.cases.dropFirst() {
            let settlement = decide(row).settlement
            #expect(settlement.follow == nil && settlement.acknowledged == nil, "\(row.name)")
        }
    }

    @Test("a change applies the later pause, sets or lifts the hold with its reason, and sets failing")
    func apply() {
        var state = RelayStatus.Destination(pausedUntil: Self.now.addingTimeInterval(30))
        DestinationChange(pauseUntil: Self.now.addingTimeInterval(10), hold: .held(reason: "why"), failing: true).apply(to: &state)
        #expect(state == RelayStatus.Destination(pausedUntil: Self.now.addingTimeInterval(30), held: true, holdReason: "why").failingSet())
        DestinationChange(pauseUntil: Self.now.addingTimeInterval(60), hold: .lifted).apply(to: &state)
        #expect(state == RelayStatus.Destination(pausedUntil: Self.now.addingTimeInterval(60)).failingSet())
        DestinationChange().apply(to: &state)
        #expect(state == RelayStatus.Destination(pausedUntil: Self.now.addingTimeInterval(60)).failingSet())
    }

    @Test("each outcome has one metric label; a release is no attempt and has none")
    func metricLabels() {
        let outcomes: [(Settlement.Outcome, String?)] = [
            (.delivered, "delivered"), (.dryRun, "dry_run"), (.retry(at: Self.now), "retried"),
            (.hold(until: Self.now), "retried"), (.deadLetter(reason: "expired"), "dead_lettered"), (.release, nil),
        ]
        for (outcome, label) in outcomes { #expect(outcome.metricLabel == label) }
    }
}

extension RelayStatus.Destination {
    /// This state, failing.
    fileprivate func failingSet() -> Self {
        var state = self
        state.failing = true
        return state
    }
}
