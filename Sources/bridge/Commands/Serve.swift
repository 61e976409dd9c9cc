import ArgumentParser
import Delivery
import Foundation
import Logging

/// `bridge serve`: runs both ports and the relay until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the bridge: the segment port, the novu port and the relay.",
        discussion: "Settings come from the environment (see docs/configuration.md); a flag overrides its variable."
    )

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

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment.merging(overrides) { _, flag in flag }
        let (configuration, problems) = BridgeConfiguration.load(environment)
        Observability.bootstrapLogging(format: configuration.logFormat, level: configuration.logLevel)
        Observability.bootstrapMetrics()
        var logger = Logger(label: "bridge")
        logger.logLevel = configuration.logLevel
        var mapping: MappingFile?
        var all = problems.map(\.description)
        if let path = configuration.mappingFile {
            do { mapping = try MappingFile.load(path: path) } catch { all.append("BRIDGE_MAPPING_FILE: \(error)") }
        }
        guard all.isEmpty else {
            for problem in all { logger.critical("configuration problem", metadata: ["problem": "\(problem)"]) }
            throw ExitCode(78)  // EX_CONFIG
        }
        let lock: DataDirectoryLock?
        do {
            lock = try DataDirectoryLock(directory: configuration.dataDir)
        } catch let busy as DataDirectoryLock.Busy where busy.anotherServer {
            logger.critical("cannot lock the data directory", metadata: ["error": "\(busy)"])
            throw ExitCode(73)
        } catch {
            // A directory that cannot hold the lock file cannot hold the store either: serve anyway and
            // answer 503 until it can (see below).
            logger.error("cannot lock the data directory", metadata: ["error": "\(error)"])
            lock = nil
        }
        defer { lock?.release() }
        let bridge = try Bridge(configuration: configuration, mapping: mapping, logger: logger)
        do {
            _ = try bridge.store.current()
        } catch {
            // Not fatal: the ports answer 503 and /readyz says why until the store can be opened.
            logger.error("cannot open the store yet; answering 503 until it can", metadata: ["error": "\(error)"])
        }
        logger.notice(
            "starting novu-segment-bridge",
            metadata: [
                "version": "\(BridgeVersion.current)",
                "data_dir": "\(configuration.dataDir)",
                "novu": "\(configuration.novuAPIKey == nil ? "dry run (NOVU_API_KEY unset)" : configuration.novuAPIURL)",
                "environment": "\(configuration.environment)",
            ]
        )
        try await bridge.run()
        logger.notice("stopped")
    }
}
