import Foundation

/// What one attempt at one job came to, as its destination judged it: the one value a destination hands
/// the relay. `SettlementPolicy` turns it into the job's settlement.
package struct AttemptResult: Sendable, Equatable {
    /// What the attempt means for the job. Each case carries only what its rule needs.
    package enum Verdict: Sendable, Equatable {
        /// The destination has it. `follow`: a transaction to follow (a trigger Novu acknowledged, with the
        /// activity poller on); `acknowledged`: the transaction of a trigger Novu acknowledged, for the
        /// funnel. Both are recorded with the job's settlement, in the same transaction.
        case delivered(follow: Follow? = nil, acknowledged: String? = nil)
        /// Dry run: the request was logged, not sent. Nothing is followed: the destination never saw it.
        case dryRun
        /// It will never succeed as it is (a 4xx but 401, 403, 408, 409, 425 and 429; a 501, a 505; a local
        /// check): dead-letter it.
        case refused
        /// No answer, or one worth trying again (408, 409, 425, 429, another 5xx): again later, with
        /// backoff, never before the answer's `Retry-After`.
        case retry
        /// The request held several jobs and was refused as a whole, which says nothing of this one: it is
        /// sent again at once, alone (its destination plans it so), and its own answer decides, the
        /// give-up age included.
        case split
        /// Our credentials were refused (401, 403) or are not set: keep the job, probe slowly.
        case hold
        /// Shutdown abandoned the attempt before an answer: the job goes back unchanged.
        case abandoned

        /// Whether the destination has it (a dry run is not delivered).
        package var isDelivered: Bool {
            if case .delivered = self { return true }
            return false
        }
    }

    /// An answer from the destination.
    package struct Answer: Sendable, Equatable {
        /// Its status.
        package var status: Int
        /// Its first 2 KB, kept for a failed attempt.
        package var excerpt: String?
        /// The time its `Retry-After` named: a floor for a retry, and with a 503 a pause of the destination.
        package var retryAfter: Date?

        package init(status: Int, excerpt: String? = nil, retryAfter: Date? = nil) {
            self.status = status
            self.excerpt = excerpt
            self.retryAfter = retryAfter
        }
    }

    package var verdict: Verdict
    /// Why, in words an operator can act on (`delivered`, `trigger_not_active`, `HTTP 500`, …).
    package var reason: String
    /// The destination's answer; `nil` when there was none (no connection, a local decision).
    package var answer: Answer?
    /// The idempotency key sent.
    package var attemptKey: String?
    /// The request as sent, secrets redacted; kept for a failed attempt.
    package var request: String?
    /// The destination said to send nothing before then (`RateLimit-Remaining: 0`), whatever this job's fate.
    package var pauseUntil: Date?

    package init(
        _ verdict: Verdict,
        reason: String,
        answer: Answer? = nil,
        attemptKey: String? = nil,
        request: String? = nil,
        pauseUntil: Date? = nil
    ) {
        self.verdict = verdict
        self.reason = reason
        self.answer = answer
        self.attemptKey = attemptKey
        self.request = request
        self.pauseUntil = pauseUntil
    }
}
