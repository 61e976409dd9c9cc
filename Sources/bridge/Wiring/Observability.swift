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
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
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
