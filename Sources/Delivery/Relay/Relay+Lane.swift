import Foundation
import Logging
import Metrics

extension Relay {
    /// One destination's loop. Keeps up to `maxConcurrentRequests` requests in flight and a buffer of
    /// claimed, planned requests to start as slots free up.
    struct Lane: Sendable {
        let destination: any DeliveryDestination
        let relay: Relay
        let doorbell: Doorbell
        /// End to end: from the commit at ingest to the destination's acknowledgement. Made once.
        let latency: Timer
        /// A destination that refuses everything (a wrong URL answering 404) dead-letters every event:
        /// one warning per 10 s then, with the count; each is in the dead-letter queue.
        let deadLetters = LogThrottle()

        init(destination: any DeliveryDestination, relay: Relay, doorbell: Doorbell) {
            self.destination = destination
            self.relay = relay
            self.doorbell = doorbell
            latency = Timer(label: "bridge_delivery_latency_seconds", dimensions: [("destination", destination.name)])
        }

        func run(stopping: CancelFlag) async {
            let name = destination.name
            let inFlight = AtomicCount()
            // Rung by every finishing send, like `doorbell`, but never interrupted: once shutdown has
            // interrupted `doorbell`, its waits return at once, and waiting for the last sends on it spun.
            let finished = Doorbell()
            var buffer: [[ClaimedJob]] = []
            let limit = relay.settings.maxConcurrentRequests
            var bucket = relay.settings.maxRequestsPerSecond[name].map { TokenBucket(ratePerSecond: $0, now: relay.now()) }
            var gathering = Gathering(window: relay.settings.gatherWindow[name] ?? .zero)
            await withDiscardingTaskGroup { group in
                while !stopping.isCancelled, !Task.isCancelled {
                    let now = await relay.followClock()
                    let state = relay.status.destination(name)
                    if let until = state.pausedUntil, until > now {
                        // New work cannot end a pause: sleep through rings until it is over. The headers
                        // that set pauses are capped when read; the cap here keeps the sleep finite anyway.
                        let wait = min(until.timeIntervalSince(now), RetryAfter.longest)
                        await doorbell.sleep(until: .now + .seconds(wait))
                        continue
                    }
                    var claimedAny = false
                    // A round that took fewer jobs than it asked for left nothing due behind it.
                    var exhausted = false
                    var claimFailed = false
                    if buffer.isEmpty, inFlight.value < limit {
                        // While held, one probe at a time and nothing else.
                        let probing = state.held
                        if probing, !gathering.held.isEmpty {
                            let released = gathering.takeAll().map { Settlement(jobId: $0.id, outcome: .release) }
                            await settle(released, stopping: stopping)
                        }
                        if !probing, let until = gathering.nextClaim {
                            await pace(until: until, stopping: stopping)
                            if stopping.isCancelled { continue }
                        }
                        if !probing || inFlight.value == 0 {
                            do {
                                let asked = probing ? 1 : max(1, relay.settings.claimBatch - gathering.held.count)
                                let jobs = try await relay.queue.claim(destination: name, limit: asked, now: relay.now())
                                claimedAny = !jobs.isEmpty
                                exhausted = jobs.count < asked
                                // A probe goes out at once, alone.
                                buffer =
                                    probing
                                    ? destination.plan(jobs)
                                    : gathering.plan(claimed: jobs, exhausted: exhausted, for: destination, now: .now)
                            } catch {
                                relay.log.error("claim failed", metadata: ["destination": "\(name)", "error": "\(error)"])
                                // What is held goes now (it is claimed already); the next claim waits below.
                                buffer = destination.plan(gathering.takeAll())
                                claimFailed = true
                            }
                        }
                    }
                    while !buffer.isEmpty, inFlight.value < limit, !stopping.isCancelled {
                        if let wait = bucket?.reserve(cost: destination.cost(of: buffer[0]), now: relay.now()), wait > 0 {
                            // A low ceiling can mean minutes: the wait ends at shutdown, and the unit
                            // is then released with the rest of the buffer.
                            await pace(until: ContinuousClock.now + .seconds(wait), stopping: stopping)
                            if stopping.isCancelled { break }
                        }
                        let unit = buffer.removeFirst()
                        inFlight.add(1)
                        group.addTask {
                            await send(unit, stopping: stopping)
                            inFlight.add(-1)
                            doorbell.ring()
                            finished.ring()
                        }
                    }
                    if stopping.isCancelled { continue }
                    if claimFailed {
                        // The store refused the claim: look again after the idle poll, not in a tight loop.
                        await doorbell.wait(timeout: relay.settings.idlePoll)
                        continue
                    }
                    if !buffer.isEmpty || inFlight.value >= limit {
                        // Waiting for a free slot: every finishing send rings.
                        await doorbell.wait(timeout: relay.settings.idlePoll)
                        continue
                    }
                    // More may be due right now; otherwise wait for new work, a finished send (it may
                    // free its user's next job) or the next retry's time, without an empty round first.
                    // Held jobs go out when their window ends (the claim round then waits for it).
                    if claimedAny, !exhausted { continue }
                    if !gathering.held.isEmpty { continue }
                    await doorbell.wait(timeout: await idleWait(now: now))
                }
                // Stopping: give back what was claimed but not started, then let in-flight sends end.
                let unstarted = (buffer.flatMap { $0 } + gathering.takeAll()).map {
                    Settlement(jobId: $0.id, outcome: .release)
                }
                try? await relay.queue.settle(unstarted)
                let deadline = ContinuousClock.now + relay.settings.shutdownTimeout
                while inFlight.value > 0, ContinuousClock.now < deadline, !Task.isCancelled {
                    await finished.wait(timeout: deadline - ContinuousClock.now)
                }
                // Sends still running are abandoned; their jobs are released (see `send`).
                group.cancelAll()
            }
        }

        /// Waits until `deadline`, or less if the relay is stopping. Rings meanwhile (new work, a
        /// finished send) do not end the wait — the rate ceiling, or the gather window, still holds —
        /// and do not wake the lane either: at thousands of events a second each wake-up costs.
        private func pace(until deadline: ContinuousClock.Instant, stopping: CancelFlag) async {
            guard !stopping.isCancelled else { return }
            await doorbell.sleep(until: deadline)
        }

        private func idleWait(now: Date) async -> Duration {
            let cap = relay.settings.idlePoll
            guard let due = try? await relay.queue.nextDue(destination: destination.name) else { return cap }
            let wait = Duration.seconds(max(0, due.timeIntervalSince(now)))
            return min(max(wait, .milliseconds(1)), cap)
        }

        private func send(_ jobs: [ClaimedJob], stopping: CancelFlag) async {
            let results = await destination.deliver(jobs)
            let now = relay.now()
            let settlements = zip(jobs, results).map { job, result in
                relay.settlement(for: job, result: result, destination: destination.name, now: now)
            }
            record(settlements, jobs: jobs, now: now)
            if await settle(settlements, stopping: stopping) { await relay.persistHoldState(destination.name) }
        }

        /// Settles, trying again with backoff while the store refuses (a full disk, a lock held by the
        /// CLI): until a settlement lands its jobs stay claimed, and each of their users' later jobs waits
        /// behind a head no claim round can take. Gives up only when the relay stops; the next start
        /// releases the claims, and the jobs go again with the same ids, which the destination dedupes.
        /// Returns whether the settlements landed.
        @discardableResult
        private func settle(_ settlements: [Settlement], stopping: CancelFlag) async -> Bool {
            guard !settlements.isEmpty else { return true }
            var delay = Duration.milliseconds(100)
            for attempt in 1... {
                do {
                    try await relay.queue.settle(settlements)
                    if attempt > 1 {
                        relay.log.notice("settled after the store recovered", metadata: ["destination": "\(destination.name)"])
                    }
                    return true
                } catch {
                    let giveUp = stopping.isCancelled || Task.isCancelled
                    relay.log.error(
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

        private func record(_ settlements: [Settlement], jobs: [ClaimedJob], now: Date) {
            for (settlement, job) in zip(settlements, jobs) {
                let outcome: String
                switch settlement.outcome {
                case .delivered:
                    outcome = "delivered"
                    latency.recordNanoseconds(Int64(max(0, now.timeIntervalSince(job.createdAt)) * 1e9))
                case .dryRun: outcome = "dry_run"
                case .retry, .hold:
                    outcome = "retried"
                    relay.log.debug(
                        "attempt failed; the event is tried again later",
                        metadata: [
                            "destination": "\(destination.name)", "job.id": "\(settlement.jobId)",
                            "attempt": "\(job.attempts + 1)",
                            "status": "\(settlement.attempt?.status.map(String.init) ?? "none")",
                            "reason": "\(settlement.attempt?.reason ?? "")",
                        ]
                    )
                case .deadLetter(let reason):
                    outcome = "dead_lettered"
                    guard let held = deadLetters.admit() else { break }
                    relay.log.warning(
                        "dead-lettered",
                        metadata: [
                            "not_logged_since_last": "\(held)",
                            "destination": "\(destination.name)", "job.id": "\(settlement.jobId)", "reason": "\(reason)",
                            "status": "\(settlement.attempt?.status.map(String.init) ?? "none")",
                            // The attempt that gave up: the ones before it, and this one.
                            "attempt": "\(job.attempts + (settlement.attempt == nil ? 0 : 1))",
                        ]
                    )
                case .release: continue
                }
                CounterCache.deliveries.increment([("destination", destination.name), ("outcome", outcome)])
            }
        }
    }
}
