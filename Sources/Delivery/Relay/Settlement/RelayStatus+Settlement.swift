import Foundation
import Logging

extension RelayStatus {
    /// Decides `result` under `policy` against `destination`'s state as it is, and applies the change in
    /// the same step: of two sends settling at once, the second decides on the first's change, so each
    /// notice is due once.
    func settle(
        _ result: AttemptResult,
        of job: ClaimedJob,
        destination: String,
        now: Date,
        random: Double,
        policy: SettlementPolicy
    ) -> SettlementPolicy.Decision {
        modify(destination) { state in
            let decision = policy.decide(result, for: job, destination: destination, state: state, now: now, random: random)
            decision.change.apply(to: &state)
            return decision
        }
    }
}

extension SettlementPolicy.Notice {
    /// Logs the notice about `destination`.
    func log(to logger: Logger, destination: String) {
        switch self {
        case .failing(let status, let reason, let jobId, let attempt):
            logger.warning(
                "\(destination) is failing: events are retried with backoff, not dropped",
                metadata: [
                    "destination": "\(destination)", "status": "\(status.map(String.init) ?? "no answer")",
                    "reason": "\(reason)", "job.id": "\(jobId)", "attempt": "\(attempt)",
                ]
            )
        case .deliversAgain:
            logger.notice("destination delivers again", metadata: ["destination": "\(destination)"])
        case .credentialsAccepted:
            logger.notice("destination accepts our credentials again; delivery resumed", metadata: ["destination": "\(destination)"])
        case .held(let reason, let status):
            logger.error("\(reason)", metadata: ["destination": "\(destination)", "status": "\(status ?? 0)"])
        }
    }
}

extension Settlement.Outcome {
    /// The `outcome` label of `bridge_deliveries_total`; `nil` for a release, which is no attempt.
    var metricLabel: String? {
        switch self {
        case .delivered: "delivered"
        case .dryRun: "dry_run"
        case .retry, .hold: "retried"
        case .deadLetter: "dead_lettered"
        case .release: nil
        }
    }
}
