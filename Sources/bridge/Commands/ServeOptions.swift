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
    @Flag(help: "Log the requests that would be sent instead of sending them (BRIDGE_DRY_RUN=1).") var dryRun = false

    /// The flags given, as (variable, flag, value).
    private var given: [(variable: String, flag: String, value: String)] {
        let all: [(String, String, String?)] = [
            ("NOVU_API_URL", "--novu-api-url", novuApiUrl), ("SEGMENT_API_URL", "--segment-api-url", segmentApiUrl),
            ("BRIDGE_ENVIRONMENT", "--environment", environment), ("BRIDGE_HOST", "--host", host),
            ("BRIDGE_SEGMENT_PORT", "--segment-port", segmentPort), ("BRIDGE_NOVU_PORT", "--novu-port", novuPort),
            ("BRIDGE_DATA_DIR", "--data-dir", dataDir), ("BRIDGE_MAPPING_FILE", "--mapping-file", mappingFile),
            ("BRIDGE_MAX_RETRY_AGE", "--max-retry-age", maxRetryAge),
            ("BRIDGE_SHUTDOWN_TIMEOUT", "--shutdown-timeout", shutdownTimeout), ("BRIDGE_LOG_LEVEL", "--log-level", logLevel),
            ("BRIDGE_LOG_FORMAT", "--log-format", logFormat),
        ]
        return all.compactMap { variable, flag, value in value.map { (variable, flag, $0) } }
            + (dryRun ? [("BRIDGE_DRY_RUN", "--dry-run", "1")] : [])
    }

    /// Flags as the variables they override.
    var overrides: [String: String] {
        Dictionary(uniqueKeysWithValues: given.map { ($0.variable, $0.value) })
    }

    /// The process environment with the flags laid over it.
    var effectiveEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.merging(overrides) { _, flag in flag }
    }

    /// The configuration as these flags and the environment give it; problems name the flag when one set
    /// the value.
    func load() -> LoadedConfiguration {
        LoadedConfiguration.load(effectiveEnvironment, flags: Dictionary(uniqueKeysWithValues: given.map { ($0.variable, $0.flag) }))
    }
}
