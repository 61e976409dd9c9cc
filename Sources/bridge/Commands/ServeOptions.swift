import ArgumentParser
import Foundation

/// The flags of `serve` (and of `check-config` and `test-event`, which read the configuration exactly as
/// `serve` does). Each overrides the environment variable named in its help.
struct ServeOptions: ParsableArguments {
    @Option(help: "Novu API base (NOVU_API_URL).") var novuApiUrl: String?
    @Option(help: "Segment Tracking API base (SEGMENT_API_URL).") var segmentApiUrl: String?
    @Option(help: "Environment the seed convention sends (BRIDGE_ENVIRONMENT).") var environment: String?
    @Option(help: "Bind address of both ports (BRIDGE_HOST).") var host: String?
    @Option(help: "Segment port (BRIDGE_SEGMENT_PORT).") var segmentPort: String?
    @Option(help: "Novu port (BRIDGE_NOVU_PORT).") var novuPort: String?
    @Option(help: "Directory of the SQLite store (BRIDGE_DATA_DIR).") var dataDir: String?
    @Option(help: "YAML/JSON mapping file (BRIDGE_MAPPING_FILE).") var mappingFile: String?
    @Option(help: "Give-up age, e.g. 24h (BRIDGE_MAX_RETRY_AGE).") var maxRetryAge: String?
    @Option(help: "Shutdown grace period, e.g. 10s (BRIDGE_SHUTDOWN_TIMEOUT).") var shutdownTimeout: String?
    @Option(help: "Log level (BRIDGE_LOG_LEVEL).") var logLevel: String?
    @Option(help: "text or json (BRIDGE_LOG_FORMAT).") var logFormat: String?

    /// Flags as the variables they override.
    var overrides: [String: String] {
        let pairs: [(String, String?)] = [
            ("NOVU_API_URL", novuApiUrl), ("SEGMENT_API_URL", segmentApiUrl), ("BRIDGE_ENVIRONMENT", environment),
            ("BRIDGE_HOST", host), ("BRIDGE_SEGMENT_PORT", segmentPort), ("BRIDGE_NOVU_PORT", novuPort),
            ("BRIDGE_DATA_DIR", dataDir), ("BRIDGE_MAPPING_FILE", mappingFile), ("BRIDGE_MAX_RETRY_AGE", maxRetryAge),
            ("BRIDGE_SHUTDOWN_TIMEOUT", shutdownTimeout), ("BRIDGE_LOG_LEVEL", logLevel), ("BRIDGE_LOG_FORMAT", logFormat),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { name, value in value.map { (name, $0) } })
    }

    /// The process environment with the flags laid over it.
    var effectiveEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.merging(overrides) { _, flag in flag }
    }
}
