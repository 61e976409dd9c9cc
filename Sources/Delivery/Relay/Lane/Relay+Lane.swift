import Foundation
import Logging
import Metrics

extension Relay {
    /// One destination's loop: performs what its `LaneMachine` decides (claim, send, sleep, wait) and
    /// hands back what came of it. Sends run as child tasks, each settling its own jobs.
    struct Lane: Sendable {
        let destination: any DeliveryDestination
        let queue: any DeliveryQueue & StoreMaintenance
        let status: RelayStatus
        /// Rung when jobs are queued for the destination, when a send finishes and when the wall clock was
        /// followed back; interrupted at shutdown.
        let doorbell: Doorbell
        let clock: RelayClock
        let configuration: Relay.Configuration
        let policy: SettlementPolicy
        let random: @Sendable () -> Double
        let logger: Logger
        /// End to end: from the commit at ingest to the destination's acknowledgement. Made once.
        let latency: Timer
        /// A destination that refuses everything (a wrong URL answering 404) dead-letters every event:
        /// one warning per 10 s then, with the count; each is in the dead-letter queue.
        let deadLetters = LogThrottle()

        init(
            destination: any DeliveryDestination,
            queue: any DeliveryQueue & StoreMaintenance,
            status: RelayStatus,
            doorbell: Doorbell,
            clock: RelayClock,
            configuration: Relay.Configuration,
            policy: SettlementPolicy,
            random: @escaping @Sendable () -> Double,
            logger: Logger
        ) {
            self.destination = destination
            self.queue = queue
            self.status = status
            self.doorbell = doorbell
            self.clock = clock
            self.configuration = configuration
            self.policy = policy
            self.random = random
            self.logger = logger
            latency = Timer(label: "bridge_delivery_latency_seconds", dimensions: [("destination", destination.name)])
        }

        func run(stopping: CancelFlag) async {
            // Sends finished since the machine last heard; each finishing send also rings `doorbell`, and
            // `drained`, which shutdown never interrupts: once `doorbell` is interrupted its waits return at
            // once, and waiting on it for the last sends would spin.
            let finished = AtomicCount()
            let drained = Doorbell()
            var machine = LaneMachine(destination: destination, configuration: configuration, now: moment())
            await withDiscardingTaskGroup { group in
                var action = machine.start()
                while true {
                    if stopping.isCancelled || Task.isCancelled { action = machine.handle(.stopping, now: moment()) }
                    let event: LaneMachine.Event
                    switch action {
                    case .send(let unit):
                        group.addTask {
                            await send(unit, stopping: stopping)
                            finished.add(1)
                            doorbell.ring()
                            drained.ring()
                        }
                        event = .started
                    case .stop(let unstarted):
                        try? await queue.settle(unstarted.map { Settlement(jobId: $0.id, outcome: .release) })
                        await drain(&machine, finished: finished, drained: drained)
                        // Sends still running are abandoned; their jobs are released (see `send`).
                        group.cancelAll()
                        return
                    default:
                        event = await perform(action, stopping: stopping)
                    }
                    machine.sendsFinished(finished.take())
                    action = machine.handle(event, now: moment())
                }
            }
        }

        /// Performs an action that starts no task, and says what came of it.
        private func perform(_ action: LaneMachine.Action, stopping: CancelFlag) async -> LaneMachine.Event {
            switch action {
            case .look:
                _ = await clock.follow()
                let state = status.destination(destination.name)
                return .looked(pausedUntil: state.pausedUntil, held: state.held)
            case .sleep(let deadline):
                await doorbell.sleep(until: deadline)
                return .woke
            case .wait(let deadline):
                await doorbell.wait(timeout: deadline - .now)
                return .woke
            case .claim(let limit): return await claim(limit)
            case .probe: return await claim(1)
            case .release(let jobs):
                await settle(jobs.map { Settlement(jobId: $0.id, outcome: .release) }, stopping: stopping)
                return .released
            case .findNextDue: return .nextDue(try? await queue.nextDue(destination: destination.name))
            case .send, .stop: preconditionFailure("\(action) is performed by the lane's loop")
            }
        }

        private func claim(_ limit: Int) async -> LaneMachine.Event {
            do {
                return .claimed(try await queue.claim(destination: destination.name, limit: limit, now: clock.now()))
            } catch {
                logger.error("claim failed", metadata: ["destination": "\(destination.name)", "error": "\(error)"])
                return .claimFailed
            }
        }

        /// Lets the sends in flight end, for at most the shutdown timeout.
        private func drain(_ machine: inout LaneMachine, finished: AtomicCount, drained: Doorbell) async {
            let deadline = ContinuousClock.now + configuration.shutdownTimeout
            machine.sendsFinished(finished.take())
            while machine.inFlight > 0, ContinuousClock.now < deadline, !Task.isCancelled {
                await drained.wait(timeout: deadline - ContinuousClock.now)
                machine.sendsFinished(finished.take())
            }
        }

        private func moment() -> LaneMachine.Moment {
            LaneMachine.Moment(wall: clock.now(), continuous: .now)
        }
    }
}
