import ArgumentParser
import Delivery
import Foundation
import Logging
import PostgresStore

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
            // On PostgreSQL the replicas share one store, and none of them keeps a data directory.
            if configuration.database == nil { try lock.acquire() }
        } catch let busy as DataDirectoryLock.Busy where busy.anotherServer {
            logger.critical("cannot lock the data directory", metadata: ["error": "\(busy)"])
            throw ExitCode(73)
        } catch {
            // A directory that cannot hold the lock file cannot hold the store either: serve anyway and
            // answer 503 until it can (see below). Opening the store takes the lock first.
            logger.error("cannot lock the data directory", metadata: ["error": "\(error)"])
        }
        defer { lock.release() }
        do {
            // A libcurl that refuses the protocol restriction (or any option every request sets) would send
            // requests the bridge did not mean to send: stop before taking any event.
            try CurlHTTPClient.check()
        } catch {
            logger.critical("libcurl cannot be set up", metadata: ["error": "\(error)"])
            throw ExitCode(70)  // EX_SOFTWARE
        }
        let bridge = try Bridge(configuration: configuration, mapping: mapping, lock: lock, logger: logger)
        do {
            _ = try await bridge.store.current()
        } catch {
            // Not fatal: the ports answer 503 and /readyz says why until the store can be opened.
            logger.error("cannot open the store yet; answering 503 until it can", metadata: ["error": "\(error)"])
        }
        logger.notice(
            "starting novu-segment-bridge",
            metadata: [
                "version": "\(BridgeVersion.current)",
                "store": "\(configuration.database.map { "\($0.url)" } ?? configuration.dataDir)",
                "novu": "\(Self.destination(configuration.novuAPIURL, credential: configuration.novuAPIKey, configuration))",
                "segment": "\(Self.destination(configuration.segmentAPIURL, credential: configuration.segmentWriteKey, configuration))",
                "environment": "\(configuration.environment)",
            ]
        )
        for (routes, variable) in configuration.unauthenticatedRoutes {
            if configuration.allowUnauthenticated {
                logger.warning(
                    "\(routes) accept requests from anyone (BRIDGE_ALLOW_UNAUTHENTICATED=1): set \(variable)",
                    metadata: ["variable": "\(variable)"]
                )
            } else {
                logger.notice(
                    "\(routes) have no authentication, so they take requests from this machine only (protected mode): set \(variable) to take them from others",
                    metadata: ["variable": "\(variable)"]
                )
            }
        }
        if let advice = configuration.signatureOnlyAdvice {
            logger.warning("\(advice)", metadata: ["variable": "SEGMENT_AUTH_TOKEN"])
        }
        if configuration.dryRun {
            logger.warning("dry run (BRIDGE_DRY_RUN=1): requests to Novu and Segment are logged, not sent, and settle as dry_run")
        }
        for (message, variable) in [
            (configuration.novuNotConfigured, "NOVU_API_KEY"), (configuration.segmentNotConfigured, "SEGMENT_WRITE_KEY"),
        ] {
            if let message {
                logger.warning("not configured: \(message); its port answers 503 NotConfigured", metadata: ["variable": "\(variable)"])
            }
        }
        if configuration.pollEnabled {
            logger.notice(
                "the activity poller follows each triggered transaction in Novu's activity API (NOVU_POLL=\(configuration.poll.mode.rawValue))",
                metadata: ["variable": "NOVU_POLL"]
            )
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

    /// Where a destination's requests go, as the start-up line shows it.
    static func destination(_ url: String, credential: String?, _ configuration: BridgeConfiguration) -> String {
        if configuration.dryRun { return "dry run" }
        return credential == nil ? "not configured" : url
    }
}
