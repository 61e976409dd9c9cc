import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Moves queued jobs to their destinations: claim → send → settle, one lane per destination.
///
/// The decisions (retry class, backoff, give-up age) are `RetryPolicy`'s and `SettlementRules`'s;
/// the relay only carries values between the store and the destinations.
public final class Relay: Service {
    /// Tunables, with production defaults.
    public struct Configuration: Sendable {
        /// Requests in flight per destination.
        public var maxConcurrentRequests = 16
        /// Jobs claimed in one round (one indexed query, one write).
        public var claimBatch = 500
        /// First retry delay; doubled per attempt.
        public var backoffBase: Duration = .seconds(1)
        /// Longest retry delay.
        public var backoffCap: Duration = .seconds(300)
        /// Give up and dead-letter as `expired` this long after the first attempt.
        public var maxRetryAge: Duration = .seconds(24 * 3600)
        /// While a destination refuses our credentials, one probe per this interval.
        public var holdProbeInterval: Duration = .seconds(60)
        /// On graceful shutdown, in-flight sends may finish for this long; then they are abandoned and
        /// their jobs released for the next start.
        public var shutdownTimeout: Duration = .seconds(10)
        /// Longest idle wait before looking at the queue again, in case a wake-up was missed.
        public var idlePoll: Duration = .seconds(1)
        /// Request ceilings per destination (`NOVU_MAX_RPS`, `SEGMENT_MAX_RPS`), in the destination's tokens.
        public var maxRequestsPerSecond: [String: Double] = [:]

        public init() {}
    }

    private let store: any DeliveryStore
    private let destinations: [any DeliveryDestination]
    private let configuration: Configuration
    private let logger: Logger
    /// Shared with the HTTP routes so `/readyz` sees holds.
    public let status: RelayStatus
    private let doorbells: [String: Doorbell]
    private let random: @Sendable () -> Double

    public init(
        store: any DeliveryStore,
        destinations: [any DeliveryDestination],
        configuration: Configuration = .init(),
        status: RelayStatus = RelayStatus(),
        logger: Logger,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.store = store
        self.destinations = destinations
        self.configuration = configuration
        self.status = status
        self.logger = logger
        self.random = random
        self.doorbells = Dictionary(uniqueKeysWithValues: destinations.map { ($0.name, Doorbell()) })
    }

    /// Tells the lane of `destination` that jobs were queued, so it claims without waiting.
    public func wake(_ destination: String) {
        doorbells[destination]?.ring()
    }

    public func run() async throws {
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
            for bell in doorbells.values { bell.ring() }
        }
    }

    /// Turns one report into the job's settlement, updating the destination's pause and hold state.
    func settlement(for job: ClaimedJob, report: AttemptReport, destination: String, now: Date) -> Settlement {
        if report.cancelled { return Settlement(jobId: job.id, outcome: .release) }
        let attempt = AttemptRecord(
            at: now,
            status: report.status,
            reason: report.reason,
            response: report.response,
            attemptKey: report.attemptKey,
            request: report.disposition == .success ? nil : report.request
        )
        if let pause = report.pauseUntil {
            status.update(destination) { $0.pausedUntil = max($0.pausedUntil ?? pause, pause) }
        }
        let outcome: Settlement.Outcome
        switch report.disposition {
        case .success:
            outcome = report.dryRun ? .dryRun : .delivered
            let before = status.update(destination) {
                $0.held = false
                $0.holdReason = nil
            }
            if before.held {
                logger.notice("destination accepts our credentials again; delivery resumed", metadata: ["destination": "\(destination)"])
            }
        case .permanent:
            outcome = .deadLetter(reason: report.reason)
        case .hold:
            let until = now.addingTimeInterval(configuration.holdProbeInterval.timeInterval)
            let reason =
                "\(destination) refused the credentials (\(report.status.map(String.init) ?? "no answer")): events held, not dropped"
            let before = status.update(destination) {
                $0.held = true
                $0.holdReason = reason
                $0.pausedUntil = max($0.pausedUntil ?? until, until)
            }
            if !before.held {
                logger.error("\(reason)", metadata: ["destination": "\(destination)", "status": "\(report.status ?? 0)"])
            }
            outcome = .hold(until: until)
        case .retry:
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
        return Settlement(jobId: job.id, outcome: outcome, attempt: attempt)
    }

    /// Writes a changed hold state to the store, for `bridge stats` in another process.
    fileprivate func persistHoldState(_ name: String) async {
        guard let state = status.needsPersisting(name) else { return }
        do {
            try await store.recordDestinationState(name: name, held: state.held, reason: state.reason)
        } catch {
            logger.warning("could not record the destination state", metadata: ["destination": "\(name)", "error": "\(error)"])
        }
    }

    fileprivate var settings: Configuration { configuration }
    fileprivate var queue: any DeliveryStore { store }
    fileprivate var log: Logger { logger }
}

extension Relay {
    /// One destination's loop. Keeps up to `maxConcurrentRequests` requests in flight and a buffer of
    /// claimed, planned requests to start as slots free up.
    fileprivate struct Lane: Sendable {
        let destination: any DeliveryDestination
        let relay: Relay
        let doorbell: Doorbell

        func run(stopping: CancelFlag) async {
            let name = destination.name
            let inFlight = AtomicCount()
            var buffer: [[ClaimedJob]] = []
            let limit = relay.settings.maxConcurrentRequests
            var bucket = relay.settings.maxRequestsPerSecond[name].map { TokenBucket(ratePerSecond: $0, now: Date()) }
            await withDiscardingTaskGroup { group in
                while !stopping.isCancelled, !Task.isCancelled {
                    let now = Date()
                    let state = relay.status.destination(name)
                    if let until = state.pausedUntil, until > now {
                        await doorbell.wait(timeout: .seconds(until.timeIntervalSince(now)))
                        continue
                    }
                    var claimedAny = false
                    if buffer.isEmpty, inFlight.value < limit {
                        // While held, one probe at a time and nothing else.
                        let probing = state.held
                        if !probing || inFlight.value == 0 {
                            do {
                                let jobs = try await relay.queue.claim(
                                    destination: name,
                                    limit: probing ? 1 : relay.settings.claimBatch,
                                    now: now
                                )
                                claimedAny = !jobs.isEmpty
                                buffer = destination.plan(jobs)
                            } catch {
                                relay.log.error("claim failed", metadata: ["destination": "\(name)", "error": "\(error)"])
                            }
                        }
                    }
                    var started = false
                    while !buffer.isEmpty, inFlight.value < limit {
                        let unit = buffer.removeFirst()
                        if let wait = bucket?.reserve(cost: destination.cost(of: unit), now: Date()), wait > 0 {
                            try? await Task.sleep(for: .seconds(wait))
                        }
                        inFlight.add(1)
                        started = true
                        group.addTask {
                            await send(unit)
                            inFlight.add(-1)
                            doorbell.ring()
                        }
                    }
                    if started || claimedAny { continue }
                    await doorbell.wait(timeout: await idleWait(now: now))
                }
                // Stopping: give back what was claimed but not started, then let in-flight sends end.
                let unstarted = buffer.flatMap { $0 }.map { Settlement(jobId: $0.id, outcome: .release) }
                try? await relay.queue.settle(unstarted)
                let deadline = ContinuousClock.now + relay.settings.shutdownTimeout
                while inFlight.value > 0, ContinuousClock.now < deadline, !Task.isCancelled {
                    await doorbell.wait(timeout: deadline - ContinuousClock.now)
                }
                // Sends still running are abandoned; their jobs are released (see `send`).
                group.cancelAll()
            }
        }

        private func idleWait(now: Date) async -> Duration {
            let cap = relay.settings.idlePoll
            guard let due = try? await relay.queue.nextDue(destination: destination.name) else { return cap }
            let wait = Duration.seconds(max(0, due.timeIntervalSince(now)))
            return min(max(wait, .milliseconds(1)), cap)
        }

        private func send(_ jobs: [ClaimedJob]) async {
            let reports = await destination.deliver(jobs)
            let now = Date()
            let settlements = zip(jobs, reports).map { job, report in
                relay.settlement(for: job, report: report, destination: destination.name, now: now)
            }
            record(settlements, jobs: jobs, now: now)
            do {
                try await relay.queue.settle(settlements)
                await relay.persistHoldState(destination.name)
            } catch {
                // The claims stay taken until the next start releases them; the jobs are sent again then,
                // with the same ids, so the destination dedupes.
                relay.log.error("settle failed", metadata: ["destination": "\(destination.name)", "error": "\(error)"])
            }
        }

        private func record(_ settlements: [Settlement], jobs: [ClaimedJob], now: Date) {
            for (settlement, job) in zip(settlements, jobs) {
                let outcome: String
                switch settlement.outcome {
                case .delivered:
                    outcome = "delivered"
                    // End to end: from the commit at ingest to the destination's acknowledgement.
                    Timer(label: "bridge_delivery_latency_seconds", dimensions: [("destination", destination.name)])
                        .recordNanoseconds(Int64(max(0, now.timeIntervalSince(job.createdAt)) * 1e9))
                case .dryRun: outcome = "dry_run"
                case .retry, .hold: outcome = "retried"
                case .deadLetter(let reason):
                    outcome = "dead_lettered"
                    relay.log.warning(
                        "dead-lettered",
                        metadata: [
                            "destination": "\(destination.name)", "job.id": "\(settlement.jobId)", "reason": "\(reason)",
                            "status": "\(settlement.attempt?.status.map(String.init) ?? "none")",
                        ]
                    )
                case .release: continue
                }
                CounterCache.deliveries.increment([("destination", destination.name), ("outcome", outcome)])
            }
        }
    }
}
