import Foundation

/// What one attempt at one job came to, as a destination judged it.
package struct AttemptReport: Sendable, Equatable {
    package var disposition: DeliveryDisposition
    /// The answer's status; `nil` when there was no answer.
    package var status: Int?
    /// Why, in words an operator can act on (`delivered`, `trigger_not_active`, `HTTP 500`, …).
    package var reason: String
    /// The first 2 KB of the answer.
    package var response: String?
    /// A `Retry-After` (or similar) the destination named.
    package var retryAfter: Date?
    /// The idempotency key sent.
    package var attemptKey: String?
    /// The request as sent, secrets redacted; kept for failed attempts.
    package var request: String?
    /// The destination said to send nothing before then (`RateLimit-Remaining: 0`), whatever this job's fate.
    package var pauseUntil: Date?
    /// The request was only logged (dry run).
    package var dryRun: Bool
    /// The attempt was abandoned by shutdown before an answer: the job goes back unchanged.
    package var cancelled: Bool
    /// The request held several jobs and was refused as a whole, which says nothing of this one: it is
    /// sent again at once, alone (its destination plans it so), and its own answer decides. The give-up
    /// age does not end it here; its own answer is judged by it.
    package var split: Bool
    /// A transaction this delivery started, for the activity poller to follow once it is settled
    /// delivered (a trigger Novu acknowledged). `nil`: nothing to follow.
    package var follow: Follow?
    /// The transaction of a trigger the destination acknowledged (Novu answered it), recorded for the
    /// funnel once the job is settled delivered. `nil`: not a trigger, or not acknowledged.
    package var acknowledged: String?

    package init(
        disposition: DeliveryDisposition,
        status: Int? = nil,
        reason: String,
        response: String? = nil,
        retryAfter: Date? = nil,
        attemptKey: String? = nil,
        request: String? = nil,
        pauseUntil: Date? = nil,
        dryRun: Bool = false,
        cancelled: Bool = false,
        split: Bool = false,
        follow: Follow? = nil,
        acknowledged: String? = nil
    ) {
        self.acknowledged = acknowledged
        self.disposition = disposition
        self.status = status
        self.reason = reason
        self.response = response
        self.retryAfter = retryAfter
        self.attemptKey = attemptKey
        self.request = request
        self.pauseUntil = pauseUntil
        self.dryRun = dryRun
        self.cancelled = cancelled
        self.split = split
        self.follow = follow
    }
}

/// A place the relay sends jobs to (Novu, Segment). It knows the wire; the relay knows the rules.
package protocol DeliveryDestination: Sendable {
    /// The `destination` value its jobs carry.
    var name: String { get }

    /// Groups claimed jobs into requests: one job per request, or several where the destination
    /// takes batches. Every job appears in exactly one group.
    func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]]

    /// Like `plan(_:)`; while `gathering`, jobs that would go out in a smaller request than the
    /// destination would like may be left out, as `waiting`: the relay holds them, still claimed, and
    /// plans them again with the next jobs it claims, within the destination's gather window.
    func plan(_ jobs: [ClaimedJob], gathering: Bool) -> (requests: [[ClaimedJob]], waiting: [ClaimedJob])

    /// Sends one group as planned and judges the answer: one report per job, in the group's order.
    func deliver(_ jobs: [ClaimedJob]) async -> [AttemptReport]

    /// What sending `jobs` as one request costs against the destination's rate limit.
    func cost(of jobs: [ClaimedJob]) -> Int
}

extension DeliveryDestination {
    /// One request, one token.
    package func cost(of jobs: [ClaimedJob]) -> Int { 1 }

    /// Nothing is worth waiting for.
    package func plan(_ jobs: [ClaimedJob], gathering: Bool) -> (requests: [[ClaimedJob]], waiting: [ClaimedJob]) {
        (plan(jobs), [])
    }
}

/// The first `limit` bytes of an answer as text, for logs and the dead-letter queue.
package func responseExcerpt(_ body: Data, limit: Int = 2048) -> String {
    String(decoding: body.prefix(limit), as: UTF8.self)
}
