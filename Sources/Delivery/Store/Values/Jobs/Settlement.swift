import Foundation

/// The end of one claim.
package struct Settlement: Sendable, Equatable {
    package enum Outcome: Sendable, Equatable {
        /// The destination has it.
        case delivered
        /// Dry run: the request was logged, not sent.
        case dryRun
        /// Try again at this time; the attempt counts.
        case retry(at: Date)
        /// The destination refused our credentials: keep the job, look again at this time. Does not
        /// count as an attempt, so a long hold never exhausts a job.
        case hold(until: Date)
        /// Give up: into the dead-letter queue with this reason.
        case deadLetter(reason: String)
        /// Not attempted after all (shutdown): back to the queue unchanged.
        case release
    }

    package var jobId: Int64
    package var outcome: Outcome
    package var attempt: AttemptRecord?
    /// Recorded with a `delivered` outcome, in the same transaction: the transaction to follow.
    package var follow: Follow?
    /// Recorded with a `delivered` outcome, in the same transaction: the transaction of a trigger Novu
    /// acknowledged, for the funnel (and its `Notification Triggered`).
    package var acknowledged: String?

    package init(jobId: Int64, outcome: Outcome, attempt: AttemptRecord? = nil, follow: Follow? = nil, acknowledged: String? = nil) {
        self.jobId = jobId
        self.outcome = outcome
        self.attempt = attempt
        self.follow = follow
        self.acknowledged = acknowledged
    }
}
