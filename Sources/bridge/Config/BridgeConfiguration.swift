import Delivery
import Foundation
import Inbound
import Logging
import PostgresStore

/// Everything `bridge serve` reads from its environment (DESIGN §6), validated.
struct BridgeConfiguration: Sendable, Equatable {
    enum LogFormat: String, Sendable { case text, json }

    var novuAPIKey: String?
    var novuAPIURL = "https://api.novu.co"
    var novuWebhookSecrets: [String] = []
    /// `SVIX_API_URL`: the Svix API `bridge novu webhook` talks to; unset, the portal token's region names it.
    var svixAPIURL: String?
    var segmentWriteKey: String?
    var segmentAPIURL = "https://api.segment.io"
    /// `SEGMENT_SHARED_SECRET`, several for rotation.
    var segmentSharedSecrets: [String] = []
    /// `SEGMENT_AUTH_TOKEN`, several for rotation.
    var segmentAuthTokens: [String] = []
    /// `BRIDGE_ADMIN_TOKEN`: what remote peers show to see `/metrics` and the detail of `/readyz`.
    var adminToken: String?
    /// `BRIDGE_DRY_RUN=1` (or `serve --dry-run`): requests are logged, not sent. Never implied by a
    /// missing credential: that direction is not configured instead, and its ingest answers 503.
    var dryRun = false
    /// `BRIDGE_ALLOW_UNAUTHENTICATED=1`: routes without authentication take requests from anyone.
    var allowUnauthenticated = false
    /// How long a request body may take to arrive.
    var bodyTimeout: Duration = .seconds(10)
    /// How long dead letters are kept.
    var deadLetterRetention: Duration = .seconds(30 * 86400)
    /// How long funnel facts are kept (`BRIDGE_FUNNEL_RETENTION`), for `bridge report` and the dashboard.
    var funnelRetention: Duration = .seconds(90 * 86400)
    /// Above this many bytes of store, ingest answers 503 `StoreFull`; `nil`: no limit.
    var maxStoreBytes: Int64?
    var writeKeys: Set<String> = []
    var environment = "development"
    var host = "0.0.0.0"
    var segmentPort = 8081
    var novuPort = 8082
    var dataDir = "./data"
    /// `BRIDGE_DATABASE_URL` (with `BRIDGE_CLAIM_LEASE` and `BRIDGE_DATABASE_POOL_SIZE`): the PostgreSQL
    /// store several replicas share; `nil`: the SQLite store in `dataDir`.
    var database: PostgresStore.Configuration?
    var mappingFile: String?
    var maxRetryAge: Duration = .seconds(24 * 3600)
    var logLevel: Logger.Level = .info
    var logFormat: LogFormat = .text
    var shutdownTimeout: Duration = .seconds(10)
    var holdProbeInterval: Duration = .seconds(60)
    /// A connection that sends nothing for this long is closed, whether between requests or in the middle
    /// of one: slow or stalled clients must not hold connections (and file descriptors) for ever.
    var idleTimeout: Duration = .seconds(30)
    var acceptUnsigned = false
    var bulkThreshold = 100
    /// How long triggers may wait to fill a bulk request, and between the Novu lane's claim rounds.
    var novuBulkWait: Duration = .milliseconds(25)
    /// How long between the Segment lane's claim rounds, so feedback events share batches.
    var segmentBatchWait: Duration = .milliseconds(25)
    /// Requests in flight per destination; the Segment lane takes the same limit.
    var novuConcurrency = 16
    var novuMaxRPS: Double?
    var segmentMaxRPS: Double?
    var retention: Duration = .seconds(7 * 86400)
    /// The activity poller (`NOVU_POLL*`).
    var poll = PollSettings()

    /// Variables whose values are secrets: never printed, never echoed in an error. Each may instead be
    /// read from the file its `_FILE` twin names (`NOVU_API_KEY_FILE=/run/secrets/novu`), as containers
    /// mount secrets.
    static let secretVariables: Set<String> = [
        "NOVU_API_KEY", "NOVU_WEBHOOK_SECRET", "SEGMENT_WRITE_KEY", "SEGMENT_SHARED_SECRET", "BRIDGE_WRITE_KEYS",
        "SEGMENT_AUTH_TOKEN", "BRIDGE_ADMIN_TOKEN", "BRIDGE_DATABASE_URL",
    ]

    /// A bad setting: the variable and what was expected.
    struct Problem: Sendable, Equatable, CustomStringConvertible {
        var variable: String
        var message: String
        var description: String { "\(variable): \(message)" }
    }

    /// Reads `environment`; returns the configuration and every problem found (not just the first).
    static func load(_ environment: [String: String]) -> (BridgeConfiguration, [Problem]) {
        var reader = Reader(environment: environment)
        var config = BridgeConfiguration()
        config.novuAPIKey = reader.string("NOVU_API_KEY")
        config.novuAPIURL = reader.url("NOVU_API_URL") ?? config.novuAPIURL
        config.svixAPIURL = reader.url("SVIX_API_URL")
        config.novuWebhookSecrets = reader.list("NOVU_WEBHOOK_SECRET")
        if (try? SvixSignature(secrets: config.novuWebhookSecrets)) == nil {
            reader.problem("NOVU_WEBHOOK_SECRET", "expected whsec_ followed by base64 (the endpoint's signing secret in Novu)")
        }
        config.segmentWriteKey = reader.string("SEGMENT_WRITE_KEY")
        config.segmentAPIURL = reader.url("SEGMENT_API_URL") ?? config.segmentAPIURL
        config.segmentSharedSecrets = reader.list("SEGMENT_SHARED_SECRET")
        config.segmentAuthTokens = reader.list("SEGMENT_AUTH_TOKEN")
        config.adminToken = reader.string("BRIDGE_ADMIN_TOKEN")
        config.dryRun = reader.flag("BRIDGE_DRY_RUN") ?? false
        config.allowUnauthenticated = reader.flag("BRIDGE_ALLOW_UNAUTHENTICATED") ?? false
        config.bodyTimeout = reader.duration("BRIDGE_BODY_TIMEOUT", atLeast: .milliseconds(100)) ?? config.bodyTimeout
        config.deadLetterRetention = reader.duration("BRIDGE_DLQ_RETENTION", atLeast: .seconds(1)) ?? config.deadLetterRetention
        config.funnelRetention = reader.duration("BRIDGE_FUNNEL_RETENTION", atLeast: .seconds(3600)) ?? config.funnelRetention
        config.maxStoreBytes = reader.bytes("BRIDGE_MAX_STORE_BYTES")
        config.writeKeys = Set(reader.list("BRIDGE_WRITE_KEYS"))
        config.environment = reader.string("BRIDGE_ENVIRONMENT") ?? config.environment
        config.host = reader.host("BRIDGE_HOST") ?? config.host
        config.segmentPort = reader.port("BRIDGE_SEGMENT_PORT") ?? config.segmentPort
        config.novuPort = reader.port("BRIDGE_NOVU_PORT") ?? config.novuPort
        config.dataDir = reader.string("BRIDGE_DATA_DIR") ?? config.dataDir
        config.mappingFile = reader.string("BRIDGE_MAPPING_FILE")
        config.database = loadDatabase(&reader)
        // Zero would mean: dead-letter every event on its first retryable failure; probe a held destination
        // hundreds of times a second; prune every dedupe key at once.
        config.maxRetryAge = reader.duration("BRIDGE_MAX_RETRY_AGE", atLeast: .seconds(1)) ?? config.maxRetryAge
        config.shutdownTimeout = reader.duration("BRIDGE_SHUTDOWN_TIMEOUT") ?? config.shutdownTimeout
        config.holdProbeInterval = reader.duration("BRIDGE_HOLD_PROBE_INTERVAL", atLeast: .seconds(1)) ?? config.holdProbeInterval
        config.idleTimeout = reader.duration("BRIDGE_IDLE_TIMEOUT", atLeast: .seconds(1)) ?? config.idleTimeout
        config.acceptUnsigned = reader.flag("BRIDGE_ACCEPT_UNSIGNED") ?? false
        config.bulkThreshold = reader.integer("NOVU_BULK_THRESHOLD", in: 2...100) ?? config.bulkThreshold
        config.novuConcurrency = reader.integer("NOVU_CONCURRENCY", in: 1...256) ?? config.novuConcurrency
        config.novuBulkWait = reader.duration("NOVU_BULK_WAIT", atMost: .seconds(5)) ?? config.novuBulkWait
        config.segmentBatchWait = reader.duration("SEGMENT_BATCH_WAIT", atMost: .seconds(5)) ?? config.segmentBatchWait
        config.novuMaxRPS = reader.rate("NOVU_MAX_RPS")
        loadPoll(&reader, into: &config)
        config.segmentMaxRPS = reader.rate("SEGMENT_MAX_RPS")
        let retention = reader.duration("BRIDGE_RETENTION", atLeast: .seconds(1))
        config.retention = retention ?? config.retention
        // A dedupe key must outlive every retry of its event: pruned sooner, a resend of an event still
        // queued would be taken as new. The problem names the variable that was set.
        if config.retention < config.maxRetryAge {
            if retention != nil {
                reader.problem(
                    "BRIDGE_RETENTION",
                    "must be at least BRIDGE_MAX_RETRY_AGE (\(DurationText.format(config.maxRetryAge))): dedupe keys must outlive retries"
                )
            } else {
                reader.problem(
                    "BRIDGE_MAX_RETRY_AGE",
                    "must be at most BRIDGE_RETENTION (\(DurationText.format(config.retention))): dedupe keys must outlive retries"
                )
            }
        }
        if let level = reader.string("BRIDGE_LOG_LEVEL") {
            if let parsed = Logger.Level(rawValue: level.lowercased()) {
                config.logLevel = parsed
            } else {
                reader.problem("BRIDGE_LOG_LEVEL", "expected trace, debug, info, notice, warning, error or critical, got '\(level)'")
            }
        }
        if let format = reader.string("BRIDGE_LOG_FORMAT") {
            if let parsed = LogFormat(rawValue: format.lowercased()) {
                config.logFormat = parsed
            } else {
                reader.problem("BRIDGE_LOG_FORMAT", "expected text or json, got '\(format)'")
            }
        }
        if config.segmentPort != 0, config.segmentPort == config.novuPort {
            reader.problem("BRIDGE_NOVU_PORT", "must differ from BRIDGE_SEGMENT_PORT")
        }
        return (config, reader.problems)
    }
}
