import Delivery
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Publishes queue depth and the age of the oldest queued job per destination every few seconds:
/// `bridge_queue_depth`, `bridge_queue_oldest_age_seconds`.
struct QueueGauges: Service {
    let store: any StoreMaintenance
    let destinations: [String]
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            if let figures = try? await store.queueFigures(now: Date(), destinations: destinations) {
                for entry in figures {
                    Gauge(label: "bridge_queue_depth", dimensions: [("destination", entry.destination)]).record(entry.queued)
                    Gauge(label: "bridge_queue_oldest_age_seconds", dimensions: [("destination", entry.destination)])
                        .record(entry.oldestPendingAge ?? 0)
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
