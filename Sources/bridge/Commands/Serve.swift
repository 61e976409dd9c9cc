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

    @OptionGroup var options: ServeOptions

    func run() async throws {
        let loaded = options.load()
        let configuration = loaded.configuration
        Observability.bootstrapLogging(format: configuration.logFormat, level: configuration.logLevel)
        Observability.bootstrapMetrics()
        var logger = Logger(label: "bridge")
        logger.logLevel = configuration.logLevel
        let mapping = loaded.mapping
        guard loaded.problems.isEmpty else {
            for problem in loaded.problems { logger.critical("configuration problem", metadata: ["problem": "\(problem)"]) }
            throw ExitCode(78)  // EX_CONFIG
        }
        // The store holds raw events (emails, phone numbers, traits) and the requests that failed: every
        // file and directory serve makes is its user's alone. An existing data directory keeps its mode.
        umask(0o077)
        let lock = DataDirectoryLockHolder(directory: configuration.dataDir)
        do {
            try lock.acquire()
        } catch let busy as DataDirectoryLock.Busy where busy.anotherServer {
            logger.critical("cannot lock the data directory", metadata: ["error": "\(busy)"])
            throw ExitCode(73)
        } catch {
            // A directory that cannot hold the lock file cannot hold the store either: serve anyway and
            // answer 503 until it can (see below). Opening the store takes the lock first.
            logger.error("cannot lock the data directory", metadata: ["error": "\(error)"])
        }
        defer { lock.release() }
        let bridge = try Bridge(configuration: configuration, mapping: mapping, lock: lock, logger: logger)
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
                "segment": "\(configuration.segmentWriteKey == nil ? "dry run (SEGMENT_WRITE_KEY unset)" : configuration.segmentAPIURL)",
                "environment": "\(configuration.environment)",
            ]
        )
        for (routes, variable) in Self.openRoutes(configuration) {
            logger.warning(
                "\(routes) accept requests from anyone: set \(variable) when the port can be reached by others",
                metadata: ["variable": "\(variable)"]
            )
        }
        for (message, variable) in Self.dryRuns(configuration) {
            logger.warning("\(message)", metadata: ["variable": "\(variable)"])
        }
        if configuration.novuWebhookSecrets.isEmpty, !configuration.acceptUnsigned {
            // Not a warning: a bridge used for the Segment → Novu direction only needs no secret.
            logger.notice(
                "POST /webhooks/novu answers 401 to every webhook until NOVU_WEBHOOK_SECRET is set",
                metadata: ["variable": "NOVU_WEBHOOK_SECRET"]
            )
        }
        do {
            try await bridge.run()
        } catch let failed as ListenFailure {
            logger.critical("\(failed.description)")
            throw ExitCode.failure
        }
        logger.notice("stopped")
    }

    /// The destinations that run dry, and what that means for what they are sent: a dry-run settlement is
    /// final, so events queued meanwhile are not sent once the key is set.
    static func dryRuns(_ configuration: BridgeConfiguration) -> [(message: String, variable: String)] {
        var dry: [(String, String)] = []
        if configuration.novuAPIKey == nil {
            dry.append(("dry run: NOVU_API_KEY is unset, so Novu requests are logged, not sent (and not sent later)", "NOVU_API_KEY"))
        }
        if configuration.segmentWriteKey == nil, !configuration.novuWebhookSecrets.isEmpty || configuration.acceptUnsigned {
            dry.append(
                (
                    "dry run: SEGMENT_WRITE_KEY is unset, so feedback events are logged, not sent to Segment (and not sent later)",
                    "SEGMENT_WRITE_KEY"
                )
            )
        }
        return dry
    }

    /// The routes no credential guards, with the variable that would: an operator who set one often
    /// believes the other routes are guarded too.
    static func openRoutes(_ configuration: BridgeConfiguration) -> [(routes: String, variable: String)] {
        var open: [(String, String)] = []
        if configuration.segmentSharedSecret == nil { open.append(("POST / and /segment", "SEGMENT_SHARED_SECRET")) }
        if configuration.writeKeys.isEmpty { open.append(("POST /v1/*", "BRIDGE_WRITE_KEYS")) }
        if configuration.acceptUnsigned && configuration.novuWebhookSecrets.isEmpty {
            open.append(("POST /webhooks/novu (BRIDGE_ACCEPT_UNSIGNED=1)", "NOVU_WEBHOOK_SECRET"))
        }
        return open
    }
}
