import Foundation
import Logging
import Metrics
import Prometheus

/// Process-wide logging and metrics. swift-log and swift-metrics can be bootstrapped once per
/// process, so this runs once, whatever the number of bridges a test starts.
enum Observability {
    /// The registry `/metrics` emits.
    static let registry = PrometheusCollectorRegistry()

    private static let metricsBootstrap: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Opens come seconds to days after delivery: buckets from 10 s to a week.
        factory.valueHistogramBuckets["bridge_time_to_open_seconds"] = [
            10, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400,
        ]
        MetricsSystem.bootstrap(factory)
    }()

    static func bootstrapMetrics() {
        _ = metricsBootstrap
    }

    nonisolated(unsafe) private static var loggingDone = false
    private static let lock = NSLock()

    /// Sets the log format and level for the process (first call wins).
    static func bootstrapLogging(format: BridgeConfiguration.LogFormat, level: Logger.Level) {
        lock.lock()
        defer { lock.unlock() }
        guard !loggingDone else { return }
        loggingDone = true
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch format {
            case .json: handler = JSONLogHandler(label: label)
            case .text: handler = TextLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
    }
}
