import Foundation

/// DESIGN §5's rules for one attempt's result: what becomes of the job, what changes for its destination,
/// and what the operator is told. Pure: the time, the random number and the destination's state come in,
/// and the relay applies what comes out (`RelayStatus.settle`), so every rule is testable as a table.
package struct SettlementPolicy: Sendable {
    /// Give up on a job this long after its first attempt (`expired`).
    package var maxRetryAge: Duration
    /// First retry delay; doubled per attempt.
    package var backoffBase: Duration
    /// Longest retry delay.
    package var backoffCap: Duration
    /// While a destination is held, one probe per this interval.
    package var holdProbeInterval: Duration

    package init(_ configuration: Relay.Configuration) {
        maxRetryAge = configuration.maxRetryAge
        backoffBase = configuration.backoffBase
        backoffCap = configuration.backoffCap
        holdProbeInterval = configuration.holdProbeInterval
    }

    /// What one result comes to.
    package struct Decision: Sendable, Equatable {
        package var settlement: Settlement
        package var change = DestinationChange()
        /// Log lines due, in order: each marks a change of the destination's state, not an attempt.
        package var notices: [Notice] = []
    }

    /// A line for the operator, due when the destination's state changes.
    package enum Notice: Sendable, Equatable {
        /// It starts failing: its events are retried with backoff, not dropped. Without this line an outage
        /// shows only in metrics until its events expire.
        case failing(status: Int?, reason: String, jobId: Int64, attempt: Int)
        /// It delivers again after failing.
        case deliversAgain
        /// It accepts our credentials again: the hold is lifted.
        case credentialsAccepted
        /// It is held, for `reason`; `status` is the refusing answer's (`nil`: decided here).
        case held(reason: String, status: Int?)
    }

    /// The most of a failed request kept with each attempt. A job retried for a day is attempted a few
    /// hundred times, and a Novu request may be 512 KB: whole, its attempt rows alone could reach 150 MB.
    package static let longestKeptRequest = 64 * 1024

    /// Decides `result` of an attempt at `job`, sent to `destination` (whose state is `state`) at `now`;
    /// `random` (in 0..<1) spreads the backoff.
    package func decide(
        _ result: AttemptResult,
        for job: ClaimedJob,
        destination: String,
        state: RelayStatus.Destination,
        now: Date,
        random: Double
    ) -> Decision {
        var change = DestinationChange(pauseUntil: result.pauseUntil)
        var notices: [Notice] = []
        let outcome: Settlement.Outcome
        switch result.verdict {
        case .abandoned:
            // No answer was waited for: nothing is recorded, not even a pause.
            return Decision(settlement: Settlement(jobId: job.id, outcome: .release))
        case .delivered, .dryRun:
            outcome = result.verdict == .dryRun ? .dryRun : .delivered
            liftHold(state, &change, &notices)
            change.failing = false
            if state.failing { notices.append(.deliversAgain) }
        case .refused:
            outcome = .deadLetter(reason: result.reason)
            // A 4xx other than 401/403 (422: the payload is wrong) answers an authenticated request: the
            // credentials work again, even when the probe's own payload was refused.
            if let status = result.answer?.status, (400..<500).contains(status) { liftHold(state, &change, &notices) }
        case .hold:
            outcome = hold(result, destination: destination, state: state, now: now, &change, &notices)
        case .split:
            // Not this job's failure: sent alone now, it gets its own verdict (the give-up age included).
            outcome = .retry(at: now)
        case .retry:
            outcome = retry(result, for: job, destination: destination, state: state, now: now, random: random, &change, &notices)
        }
        let attempt = AttemptRecord(
            at: now,
            status: result.answer?.status,
            reason: result.reason,
            response: result.answer?.excerpt,
            attemptKey: result.attemptKey,
            request: outcome == .delivered || outcome == .dryRun ? nil : result.request.map(Self.clipped)
        )
        // Only a transaction the destination has is worth following; a dry run started none.
        var settlement = Settlement(jobId: job.id, outcome: outcome, attempt: attempt)
        if case .delivered(let follow, let acknowledged) = result.verdict {
            (settlement.follow, settlement.acknowledged) = (follow, acknowledged)
        }
        return Decision(settlement: settlement, change: change, notices: notices)
    }

    private func liftHold(_ state: RelayStatus.Destination, _ change: inout DestinationChange, _ notices: inout [Notice]) {
        change.hold = .lifted
        if state.held { notices.append(.credentialsAccepted) }
    }

    /// Holds the destination and keeps the job until the next probe; a hold counts no attempt.
    private func hold(
        _ result: AttemptResult,
        destination: String,
        state: RelayStatus.Destination,
        now: Date,
        _ change: inout DestinationChange,
        _ notices: inout [Notice]
    ) -> Settlement.Outcome {
        let until = now.addingTimeInterval(holdProbeInterval.timeInterval)
        let status = result.answer?.status
        // A hold with no answer was decided here (a credential is not set), and its result says why.
        let reason =
            status.map { "\(destination) refused the credentials (\($0)): events held, not dropped" }
            ?? "\(destination): \(result.reason)"
        change.hold = .held(reason: reason)
        change.pause(until: until)
        if !state.held { notices.append(.held(reason: reason, status: status)) }
        return .hold(until: until)
    }

    /// Backs off from the attempt count, with `Retry-After` as a floor, until the give-up age.
    private func retry(
        _ result: AttemptResult,
        for job: ClaimedJob,
        destination: String,
        state: RelayStatus.Destination,
        now: Date,
        random: Double,
        _ change: inout DestinationChange,
        _ notices: inout [Notice]
    ) -> Settlement.Outcome {
        let status = result.answer?.status
        change.failing = true
        if !state.failing {
            notices.append(.failing(status: status, reason: result.reason, jobId: job.id, attempt: job.attempts + 1))
        }
        if now.timeIntervalSince(job.firstAttemptAt ?? now) >= maxRetryAge.timeInterval { return .deadLetter(reason: "expired") }
        let retryAfter = result.answer?.retryAfter
        let next = RetryPolicy.nextAttempt(
            afterAttempts: job.attempts + 1,
            now: now,
            retryAfter: retryAfter,
            base: backoffBase,
            cap: backoffCap,
            random: random
        )
        // The destination asked everyone to slow down, not just this job.
        if status == 429 || (status == 503 && retryAfter != nil) { change.pause(until: retryAfter ?? next) }
        return .retry(at: next)
    }

    /// `request` cut to `longestKeptRequest` bytes, saying how long it was.
    static func clipped(_ request: String) -> String {
        let bytes = request.utf8.count
        guard bytes > longestKeptRequest else { return request }
        return String(decoding: request.utf8.prefix(longestKeptRequest), as: UTF8.self)
            + "\n… (the first 64 KiB of \(bytes) bytes)"
    }
}
