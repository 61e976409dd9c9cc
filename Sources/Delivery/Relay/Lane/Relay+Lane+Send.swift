import Foundation
import Logging
import Metrics

extension Relay.Lane {
    /// Sends one planned request and settles its jobs.
    func send(_ jobs: [ClaimedJob], stopping: CancelFlag) async {
        let results = await destination.deliver(jobs)
        let now = clock.now()
        let settlements = zip(jobs, results).map { job, result in settlement(for: job, result: result, now: now) }
        record(settlements, jobs: jobs, now: now)
        if await settle(settlements, stopping: stopping) { await status.persist(destination.name, to: queue, logger: logger) }
    }

    /// Decides under the policy, applies the destination's change and logs the notices due.
    private func settlement(for job: ClaimedJob, result: AttemptResult, now: Date) -> Settlement {
        let name = destination.name
        let decision = status.settle(result, of: job, destination: name, now: now, random: random(), policy: policy)
        for notice in decision.notices { notice.log(to: logger, destination: name) }
        return decision.settlement
    }

    /// Settles, trying again with backoff while the store refuses (a full disk, a lock held by the
    /// CLI): until a settlement lands its jobs stay claimed, and each of their users' later jobs waits
    /// behind a head no claim round can take. Gives up only when the relay stops; the next start
    /// releases the claims, and the jobs go again with the same ids, which the destination dedupes.
    /// Returns whether the settlements landed.
    @discardableResult
    func settle(_ settlements: [Settlement], stopping: CancelFlag) async -> Bool {
        guard !settlements.isEmpty else { return true }
        var delay = Duration.milliseconds(100)
        for attempt in 1... {
            do {
                try await queue.settle(settlements)
                if attempt > 1 {
                    logger.notice("settled after the store recovered", metadata: ["destination": "\(destination.name)"])
                }
                return true
            } catch {
                let giveUp = stopping.isCancelled || Task.isCancelled
                logger.error(
                    giveUp ? "settle failed; the jobs are released at the next start" : "settle failed; trying again",
                    metadata: [
                        "destination": "\(destination.name)", "jobs": "\(settlements.count)", "attempt": "\(attempt)",
                        "error": "\(error)",
                    ]
                )
                if giveUp { return false }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, Self.longestSettleRetry)
            }
        }
        return false
    }

    /// The longest wait between two tries of a settlement the store refused.
    static let longestSettleRetry = Duration.seconds(5)

    /// Counts each attempt by outcome, times deliveries, and logs failed attempts (dead letters throttled).
    private func record(_ settlements: [Settlement], jobs: [ClaimedJob], now: Date) {
        for (settlement, job) in zip(settlements, jobs) {
            guard let label = settlement.outcome.metricLabel else { continue }
            switch settlement.outcome {
            case .delivered:
                latency.recordNanoseconds(Int64(max(0, now.timeIntervalSince(job.createdAt)) * 1e9))
            case .retry, .hold:
                logger.debug(
                    "attempt failed; the event is tried again later",
                    metadata: [
                        "destination": "\(destination.name)", "job.id": "\(settlement.jobId)", "attempt": "\(job.attempts + 1)",
                        "status": "\(settlement.attempt?.status.map(String.init) ?? "none")",
                        "reason": "\(settlement.attempt?.reason ?? "")",
                    ]
                )
            case .deadLetter(let reason):
                guard let held = deadLetters.admit() else { break }
                logger.warning(
                    "dead-lettered",
                    metadata: [
                        "not_logged_since_last": "\(held)",
                        "destination": "\(destination.name)", "job.id": "\(settlement.jobId)", "reason": "\(reason)",
                        "status": "\(settlement.attempt?.status.map(String.init) ?? "none")",
                        // The attempt that gave up: the ones before it, and this one.
                        "attempt": "\(job.attempts + (settlement.attempt == nil ? 0 : 1))",
                    ]
                )
            case .dryRun, .release: break
            }
            CounterCache.deliveries.increment([("destination", destination.name), ("outcome", label)])
        }
    }
}
