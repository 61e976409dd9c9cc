import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Moves queued jobs to their destinations: claim → send → settle, one lane per destination.
///
/// The decisions (retry class, backoff, give-up age) are `RetryPolicy`'s and `SettlementRules`'s;
/// the relay only carries values between the store and the destinations.
package final class Relay: Service {
    /// Tunables, with production defaults.
    package struct Configuration: Sendable {
        /// Requests in flight per destination.
        package var maxConcurrentRequests = 16
        /// Jobs claimed in one round (one indexed query, one write).
        package var claimBatch = 500
        /// First retry delay; doubled per attempt.
        package var backoffBase: Duration = .seconds(1)
        /// Longest retry delay.
        package var backoffCap: Duration = .seconds(300)
        /// Give up and dead-letter as `expired` this long after the first attempt.
        package var maxRetryAge: Duration = .seconds(24 * 3600)
        /// While a destination refuses our credentials, one probe per this interval.
        package var holdProbeInterval: Duration = .seconds(60)
        /// On graceful shutdown, in-flight sends may finish for this long; then they are abandoned and
        /// their jobs released for the next start.
        package var shutdownTimeout: Duration = .seconds(10)
        /// Longest idle wait before looking at the queue again, in case a wake-up was missed.
        package var idlePoll: Duration = .seconds(1)
        /// Request ceilings per destination (`NOVU_MAX_RPS`, `SEGMENT_MAX_RPS`), in the destination's tokens.
        package var maxRequestsPerSecond: [String: Double] = [:]
        /// Per destination: after a claim round that left nothing due, the next round waits until this
        /// long after it, so jobs queued meanwhile go out together (a full Novu bulk request, one Segment
        /// batch) rather than a request each; see `Gathering`. An event waits at most about two windows
        /// (one to be claimed, one held back); a backlog is not slowed.
        package var gatherWindow: [String: Duration] = [:]

        package init() {}
    }

    let store: any DeliveryQueue & StoreMaintenance
    let destinations: [any DeliveryDestination]
    private let configuration: Configuration
    let logger: Logger
    /// Shared with the HTTP routes so `/readyz` sees holds.
    package let status: RelayStatus
    let doorbells: [String: Doorbell]
    private let random: @Sendable () -> Double
    let wallClock: @Sendable () -> Date
    /// Notices a wall clock set back; see `Relay+Clock.swift`.
    let clockWatch = Mutex(ClockWatch())

    package init(
        store: any DeliveryQueue & StoreMaintenance,
        destinations: [any DeliveryDestination],
        configuration: Configuration = .init(),
        status: RelayStatus = RelayStatus(),
        logger: Logger,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        wallClock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.destinations = destinations
        self.configuration = configuration
        self.status = status
        self.logger = logger
        self.random = random
        self.wallClock = wallClock
        self.doorbells = Dictionary(uniqueKeysWithValues: destinations.map { ($0.name, Doorbell()) })
    }

    /// Tells the lane of `destination` that jobs were queued, so it claims without waiting.
    package func wake(_ destination: String) {
        doorbells[destination]?.ring()
    }

    package func run() async throws {
        // Claims of a process that died go back to the queue before anything is claimed anew. A store
        // that cannot be opened yet (read-only directory) is waited for, not fatal.
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let released = try await store.releaseAllClaims()
                if released > 0 {
                    logger.notice("released jobs claimed by a previous run", metadata: ["jobs": "\(released)"])
                }
                break
            } catch {
                logger.error("the store is unavailable; the relay waits for it", metadata: ["error": "\(error)"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            }
        }
        for destination in destinations { await persistHoldState(destination.name) }
        await catchUpWithStoredSchedule()
        let stopping = CancelFlag()
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for destination in destinations {
                    let lane = Lane(
                        destination: destination,
                        relay: self,
                        doorbell: doorbells[destination.name] ?? Doorbell()
                    )
                    group.addTask { await lane.run(stopping: stopping) }
                }
            }
        } onGracefulShutdown: { [doorbells] in
            stopping.cancel()
            for bell in doorbells.values { bell.interrupt() }
        }
    }

    /// Turns one report into the job's settlement, updating the destination's pause and hold state.
    package func settlement(for job: ClaimedJob, report: AttemptReport, destination: String, now: Date) -> Settlement {
        if report.cancelled { return Settlement(jobId: job.id, outcome: .release) }
        let attempt = AttemptRecord(
            at: now,
            status: report.status,
            reason: report.reason,
            response: report.response,
            attemptKey: report.attemptKey,
            request: report.disposition == .success ? nil : report.request.map(Self.clipped)
        )
        if let pause = report.pauseUntil {
            status.update(destination) { $0.pausedUntil = max($0.pausedUntil ?? pause, pause) }
        }
        let outcome: Settlement.Outcome
        switch report.disposition {
        case .success:
            outcome = report.dryRun ? .dryRun : .delivered
            liftHold(destination)
            if status.update(destination, { $0.failing = false }).failing {
                logger.notice("destination delivers again", metadata: ["destination": "\(destination)"])
            }
        case .permanent:
            outcome = .deadLetter(reason: report.reason)
            // A 4xx other than 401/403 (422: the payload is wrong) is an answer to an authenticated request:
            // the credentials work again. Only a success lifted the hold before, so a probe refused for
            // its payload left the destination held, and not ready, with nothing queued to succeed.
            if let answered = report.status, (400..<500).contains(answered) { liftHold(destination) }
        case .hold:
            let until = now.addingTimeInterval(configuration.holdProbeInterval.timeInterval)
            // A hold with no answer was decided here (a credential is not set), and its report says why.
            let reason =
                report.status.map { "\(destination) refused the credentials (\($0)): events held, not dropped" }
                ?? "\(destination): \(report.reason)"
            let before = status.update(destination) {
                $0.held = true
                $0.holdReason = reason
                $0.pausedUntil = max($0.pausedUntil ?? until, until)
            }
            if !before.held {
                logger.error("\(reason)", metadata: ["destination": "\(destination)", "status": "\(report.status ?? 0)"])
            }
            outcome = .hold(until: until)
        case .retry where report.split:
            // Not this job's failure: sent alone now, it gets its own verdict (the give-up age included).
            outcome = .retry(at: now)
        case .retry:
            let before = status.update(destination) { $0.failing = true }
            if !before.failing {
                // Without this, an outage showed only in metrics until its events expired a day later.
                logger.warning(
                    "\(destination) is failing: events are retried with backoff, not dropped",
                    metadata: [
                        "destination": "\(destination)", "status": "\(report.status.map(String.init) ?? "no answer")",
                        "reason": "\(report.reason)", "job.id": "\(job.id)", "attempt": "\(job.attempts + 1)",
                    ]
                )
            }
            let first = job.firstAttemptAt ?? now
            if now.timeIntervalSince(first) >= configuration.maxRetryAge.timeInterval {
                outcome = .deadLetter(reason: "expired")
            } else {
                let next = RetryPolicy.nextAttempt(
                    afterAttempts: job.attempts + 1,
                    now: now,
                    retryAfter: report.retryAfter,
                    base: configuration.backoffBase,
                    cap: configuration.backoffCap,
                    random: random()
                )
                if report.status == 429 || (report.status == 503 && report.retryAfter != nil) {
                    // The destination asked everyone to slow down, not just this job.
                    let until = report.retryAfter ?? next
                    status.update(destination) { $0.pausedUntil = max($0.pausedUntil ?? until, until) }
                }
                outcome = .retry(at: next)
            }
        }
        // Only a transaction the destination has is worth following; a dry run started none.
        return Settlement(
            jobId: job.id,
            outcome: outcome,
            attempt: attempt,
            follow: outcome == .delivered ? report.follow : nil,
            acknowledged: outcome == .delivered ? report.acknowledged : nil
        )
    }

    private func liftHold(_ destination: String) {
        let before = status.update(destination) {
            $0.held = false
            $0.holdReason = nil
        }
        if before.held {
            logger.notice("destination accepts our credentials again; delivery resumed", metadata: ["destination": "\(destination)"])
        }
    }

    /// The most of a failed request kept with each attempt. A job retried for a day is attempted a few
    /// hundred times, and a Novu request may be 512 KB: whole, its attempt rows alone could reach 150 MB.
    package static let longestKeptRequest = 64 * 1024

    static func clipped(_ request: String) -> String {
        let bytes = request.utf8.count
        guard bytes > longestKeptRequest else { return request }
        return String(decoding: request.utf8.prefix(longestKeptRequest), as: UTF8.self)
            + "\n… (the first 64 KiB of \(bytes) bytes)"
    }

    /// Writes a changed hold state to the store, for `bridge stats` in another process.
    func persistHoldState(_ name: String) async {
        guard let state = status.needsPersisting(name) else { return }
        do {
            try await store.recordDestinationState(name: name, held: state.held, reason: state.reason)
        } catch {
            logger.warning("could not record the destination state", metadata: ["destination": "\(name)", "error": "\(error)"])
        }
    }

    var settings: Configuration { configuration }
    var queue: any DeliveryQueue { store }
    var log: Logger { logger }
}
