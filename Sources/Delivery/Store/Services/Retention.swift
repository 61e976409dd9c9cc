import Foundation
import Logging
import ServiceLifecycle

/// Prunes the store on a schedule (`BRIDGE_RETENTION`): delivered jobs and dedupe keys after the
/// retention, dead letters after `BRIDGE_DLQ_RETENTION` (30 days), correlations after 30 days. Runs beside
/// the relay in the service group.
package struct Retention: Service {
    package struct Configuration: Sendable {
        package var retention: Duration = .seconds(7 * 86400)
        package var correlationRetention: Duration = .seconds(30 * 86400)
        /// How long a dead letter is kept after it was dead-lettered (`BRIDGE_DLQ_RETENTION`), with its attempts.
        package var deadLetterRetention: Duration = .seconds(30 * 86400)
        /// How long funnel facts are kept (`BRIDGE_FUNNEL_RETENTION`).
        package var funnelRetention: Duration = .seconds(90 * 86400)
        /// Time between passes.
        package var interval: Duration = .seconds(300)
        /// Rows deleted per write: each batch is its own short write, so ingest never waits long behind one.
        package var batchSize = 1000

        package init() {}
    }

    let store: any StoreMaintenance & FunnelStore
    let configuration: Configuration
    let logger: Logger

    package init(store: any StoreMaintenance & FunnelStore, configuration: Configuration = .init(), logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    package func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let pruned = try await store.prune(
                    now: Date(),
                    retention: configuration.retention,
                    correlationRetention: configuration.correlationRetention,
                    deadLetterRetention: configuration.deadLetterRetention,
                    batchSize: configuration.batchSize
                )
                let funnel = try await store.pruneFunnel(
                    now: Date(),
                    retention: configuration.funnelRetention,
                    batchSize: configuration.batchSize
                )
                if funnel > 0 { logger.info("pruned the funnel", metadata: ["rows": "\(funnel)"]) }
                if pruned != PruneResult() {
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
