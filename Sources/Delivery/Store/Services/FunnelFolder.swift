import Foundation
import Logging
import ServiceLifecycle

/// Folds the funnel's logged steps into its message rows once a second (see `SQLiteStore.foldFunnelSteps`):
/// ingest appends a step in its own commit, and the upserts, which land all over the message table's
/// b-trees, are done here in batches. Readers that need the latest (the report, attribution) fold first.
package struct FunnelFolder: Service {
    let store: any FunnelStore
    let interval: Duration
    let logger: Logger

    package init(store: any FunnelStore, interval: Duration = .seconds(1), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            var failing = false
            while !Task.isCancelled {
                do {
                    try await store.foldAllFunnelSteps()
                    failing = false
                } catch {
                    if !failing { logger.warning("cannot fold funnel steps; retrying", metadata: ["error": "\(error)"]) }
                    failing = true
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
