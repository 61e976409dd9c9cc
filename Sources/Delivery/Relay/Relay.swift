import Foundation
import Logging
import ServiceLifecycle

/// Moves queued jobs to their destinations: claim → send → settle, one lane per destination.
///
/// The decisions are pure values: the retry class and the backoff are `RetryPolicy`'s, what an attempt's
/// `AttemptResult` comes to is `SettlementPolicy`'s, and when a lane claims, sends and waits is its
/// `LaneMachine`'s. The relay and its lanes (`Relay.Lane`) only carry values between the store, the
/// destinations and them.
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

    private let store: any DeliveryQueue & StoreMaintenance
    private let destinations: [any DeliveryDestination]
    private let configuration: Configuration
    private let logger: Logger
    /// Shared with the HTTP routes so `/readyz` sees holds.
    package let status: RelayStatus
    private let doorbells: [String: Doorbell]
    private let random: @Sendable () -> Double
    private let policy: SettlementPolicy
    /// The wall clock, followed when it is set back.
    let clock: RelayClock

    package init(
        store: any DeliveryQueue & StoreMaintenance,
        destinations: [any DeliveryDestination],
        configuration: Configuration = .init(),
        status: RelayStatus = RelayStatus(),
        logger: Logger,
        random: @escaping @Sendable () -> Double = { Jitter.shared.next() },
        wallClock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.destinations = destinations
        self.configuration = configuration
        self.status = status
        self.logger = logger
        self.random = random
        self.policy = SettlementPolicy(configuration)
        let doorbells = Dictionary(uniqueKeysWithValues: destinations.map { ($0.name, Doorbell()) })
        self.doorbells = doorbells
        self.clock = RelayClock(
            store: store,
            destinations: destinations.map(\.name),
            status: status,
            doorbells: Array(doorbells.values),
            logger: logger,
            wallClock: wallClock
        )
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
        for destination in destinations { await status.persist(destination.name, to: store, logger: logger) }
        await clock.catchUpWithStoredSchedule()
        let stopping = CancelFlag()
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for destination in destinations {
                    let lane = Lane(
                        destination: destination,
                        queue: store,
                        status: status,
                        doorbell: doorbells[destination.name] ?? Doorbell(),
                        clock: clock,
                        configuration: configuration,
                        policy: policy,
                        random: random,
                        logger: logger
                    )
                    group.addTask { await lane.run(stopping: stopping) }
                }
            }
        } onGracefulShutdown: { [doorbells] in
            stopping.cancel()
            for bell in doorbells.values { bell.interrupt() }
        }
    }

    /// Settles one attempt's result under the relay's `SettlementPolicy`, applying the change of the
    /// destination's state it decides and logging its notices.
    package func settlement(for job: ClaimedJob, result: AttemptResult, destination: String, now: Date) -> Settlement {
        let decision = status.settle(result, of: job, destination: destination, now: now, random: random(), policy: policy)
        for notice in decision.notices { notice.log(to: logger, destination: destination) }
        return decision.settlement
    }
}
