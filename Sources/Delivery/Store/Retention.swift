import Foundation
import Logging
import ServiceLifecycle

/// Prunes the store on a schedule (`BRIDGE_RETENTION`): delivered jobs and dedupe keys after the
/// retention, dead letters after `BRIDGE_DLQ_RETENTION` (30 days), correlations after 30 days. Runs beside
/// the relay in the service group.
public struct Retention: Service {
    public struct Configuration: Sendable {
        public var retention: Duration = .seconds(7 * 86400)
        public var correlationRetention: Duration = .seconds(30 * 86400)
        /// How long a dead letter is kept after it was dead-lettered (`BRIDGE_DLQ_RETENTION`), with its attempts.
        public var deadLetterRetention: Duration = .seconds(30 * 86400)
        /// How long funnel facts are kept (`BRIDGE_FUNNEL_RETENTION`).
        public var funnelRetention: Duration = .seconds(90 * 86400)
        /// Time between passes.
        public var interval: Duration = .seconds(300)

        public init() {}
    }

    let store: ResilientStore
    let configuration: Configuration
    let logger: Logger

    public init(store: ResilientStore, configuration: Configuration = .init(), logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let pruned = try await store.current().prune(
                    now: Date(),
                    retention: configuration.retention,
                    correlationRetention: configuration.correlationRetention,
                    deadLetterRetention: configuration.deadLetterRetention
                )
                let funnel = try await store.current().pruneFunnel(now: Date(), retention: configuration.funnelRetention)
                if funnel > 0 { logger.info("pruned the funnel", metadata: ["rows": "\(funnel)"]) }
                if pruned != SQLiteStore.PruneResult() {
                    logger.info(
                        "pruned the store",
                        metadata: [
                            "jobs": "\(pruned.jobs)", "dedupe_keys": "\(pruned.dedupeKeys)", "correlations": "\(pruned.correlations)",
                            "dead_letters": "\(pruned.deadLetters)",
                        ]
                    )
                }
            } catch {
                logger.warning("pruning failed; trying again next pass", metadata: ["error": "\(error)"])
            }
            // Sleep until the next pass, or until shutdown starts.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: configuration.interval) }
        }
    }
}
