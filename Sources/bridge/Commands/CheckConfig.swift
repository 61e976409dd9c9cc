import ArgumentParser
import Crypto
import Delivery
import Foundation
import Inbound
import Logging
import MappingFiles
import Outbound
import PostgresStore

/// `bridge check-config`: the effective configuration, secrets masked, and every problem at once.
struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Print the effective configuration (secrets masked) and every problem; exit non-zero on any."
    )

    @OptionGroup var options: ServeOptions

    func run() async throws {
        let loaded = options.load()
        let config = loaded.configuration
        var problems = loaded.problems
        let rows: [(String, String)] = [
            (
                "NOVU_API_KEY",
                secret(
                    "NOVU_API_KEY",
                    config.novuAPIKey,
                    unset: config.dryRun ? "unset" : "unset (not configured: the segment port answers 503)"
                )
            ),
            ("NOVU_API_URL", config.novuAPIURL),
            ("SVIX_API_URL", config.svixAPIURL ?? "unset (bridge novu webhook uses the portal token's region)"),
            (
                "NOVU_WEBHOOK_SECRET",
                secrets("NOVU_WEBHOOK_SECRET", config.novuWebhookSecrets, unset: "unset (the novu port refuses webhooks)")
            ),
            (
                "SEGMENT_WRITE_KEY",
                secret(
                    "SEGMENT_WRITE_KEY",
                    config.segmentWriteKey,
                    unset: config.dryRun ? "unset" : "unset (not configured: the novu port answers 503)"
                )
            ),
            ("SEGMENT_API_URL", config.segmentAPIURL),
            (
                "SEGMENT_SHARED_SECRET",
                secrets("SEGMENT_SHARED_SECRET", config.segmentSharedSecrets, unset: "unset (X-Signature not checked)")
            ),
            (
                "SEGMENT_AUTH_TOKEN",
                secrets("SEGMENT_AUTH_TOKEN", config.segmentAuthTokens, unset: "unset (Authorization not checked on POST /)")
            ),
            (
                "BRIDGE_WRITE_KEYS",
                secrets("BRIDGE_WRITE_KEYS", config.writeKeys.sorted(), unset: "unset (no write key checked on /v1/*)")
            ),
            (
                "BRIDGE_ADMIN_TOKEN",
                secret("BRIDGE_ADMIN_TOKEN", config.adminToken, unset: "unset (the admin surface answers this machine only)")
            ),
            ("BRIDGE_DRY_RUN", config.dryRun ? "1 (requests are logged, not sent)" : "0"),
            ("BRIDGE_ALLOW_UNAUTHENTICATED", config.allowUnauthenticated ? "1 (routes without authentication answer anyone)" : "0"),
            ("BRIDGE_BODY_TIMEOUT", DurationText.format(config.bodyTimeout)),
            ("BRIDGE_DLQ_RETENTION", DurationText.format(config.deadLetterRetention)),
            ("BRIDGE_FUNNEL_RETENTION", DurationText.format(config.funnelRetention)),
            ("BRIDGE_MAX_STORE_BYTES", config.maxStoreBytes.map(ByteSizeText.format) ?? "unset (no limit)"),
            ("BRIDGE_ENVIRONMENT", config.environment),
            ("BRIDGE_HOST", config.host),
            ("BRIDGE_SEGMENT_PORT", String(config.segmentPort)),
            ("BRIDGE_NOVU_PORT", String(config.novuPort)),
            (
                "BRIDGE_DATABASE_URL",
                config.database.map { "\($0.url) (PostgreSQL, shared by replicas)" } ?? "unset (SQLite in BRIDGE_DATA_DIR)"
            ),
            ("BRIDGE_CLAIM_LEASE", config.database.map { DurationText.format($0.claimLease) } ?? "unset (SQLite: one process)"),
            ("BRIDGE_DATABASE_POOL_SIZE", config.database.map { String($0.poolSize) } ?? "unset (SQLite: one writer)"),
            ("BRIDGE_DATA_DIR", config.dataDir),
            ("BRIDGE_MAPPING_FILE", config.mappingFile ?? "unset (seed convention for every track)"),
            ("BRIDGE_MAX_RETRY_AGE", DurationText.format(config.maxRetryAge)),
            ("BRIDGE_RETENTION", DurationText.format(config.retention)),
            ("BRIDGE_SHUTDOWN_TIMEOUT", DurationText.format(config.shutdownTimeout)),
            ("BRIDGE_HOLD_PROBE_INTERVAL", DurationText.format(config.holdProbeInterval)),
            ("BRIDGE_IDLE_TIMEOUT", DurationText.format(config.idleTimeout)),
            ("BRIDGE_ACCEPT_UNSIGNED", config.acceptUnsigned ? "1" : "0"),
            ("NOVU_BULK_THRESHOLD", String(config.bulkThreshold)),
            ("NOVU_BULK_WAIT", DurationText.format(config.novuBulkWait)),
            ("NOVU_CONCURRENCY", String(config.novuConcurrency)),
            ("NOVU_MAX_RPS", config.novuMaxRPS.map { String($0) } ?? "unset (no ceiling)"),
            ("SEGMENT_MAX_RPS", config.segmentMaxRPS.map { String($0) } ?? "unset (no ceiling)"),
            (
                "NOVU_POLL",
                "\(config.poll.mode.rawValue) (\(config.pollEnabled ? "the activity poller runs" : "the activity poller does not run"))"
            ),
            ("NOVU_POLL_INTERVAL", DurationText.format(config.poll.policy.interval)),
            ("NOVU_POLL_MAX_INTERVAL", DurationText.format(config.poll.policy.longestInterval)),
            ("NOVU_POLL_MAX_AGE", DurationText.format(config.poll.policy.maxAge)),
            ("NOVU_POLL_MAX_RPS", String(config.poll.policy.maxRequestsPerSecond)),
            ("SEGMENT_BATCH_WAIT", DurationText.format(config.segmentBatchWait)),
            ("BRIDGE_LOG_LEVEL", config.logLevel.rawValue),
            ("BRIDGE_LOG_FORMAT", config.logFormat.rawValue),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        print("effective configuration:")
        for (name, value) in rows { print("  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(value)") }
        print("Novu API: \(NovuAPIVersions().summary) (\(Self.fallbackNote))")
        if let mapping = loaded.mapping {
            print("mapping file: \(mapping.rules.rules.count) rule(s), fallback \(mapping.rules.fallback.rawValue)")
        }
        if config.database == nil, let problem = Self.writableProblem(config.dataDir) { problems.append(problem) }
        for note in [config.novuNotConfigured, config.segmentNotConfigured, config.signatureOnlyAdvice].compactMap({ $0 }) {
            print("note: \(note)")
        }
        for (routes, variable) in config.unauthenticatedRoutes {
            print(
                config.allowUnauthenticated
                    ? "note: \(routes) answer anyone (BRIDGE_ALLOW_UNAUTHENTICATED=1): set \(variable)"
                    : "note: \(routes) have no authentication: protected mode, this machine only; set \(variable)"
            )
        }
        if problems.isEmpty {
            print("configuration OK")
            return
        }
        print("\(problems.count) problem\(problems.count == 1 ? "" : "s"):")
        for problem in problems { print("  - \(problem)") }
        throw ExitCode(78)
    }

    /// What a running bridge does on a Novu without the v2 routes; `/readyz` shows the choice it made.
    static let fallbackNote =
        "v1 fallback after a route-not-found 404 on POST /v2/subscribers or POST /v2/topics/{key}/subscriptions; "
        + "a running bridge shows its choice as novu_api in /readyz"

    /// `set (sha256 1a2b3c4d)`: the first 8 hex digits of the secret's SHA-256, enough to tell which key
    /// is set (compare with `printf %s "$KEY" | sha256sum`), and no character of the secret itself.
    /// `from NAME_FILE (path)` follows when the secret was read from a file.
    private func secret(_ name: String, _ value: String?, unset: String) -> String {
        guard let value, !value.isEmpty else { return unset }
        return "set (sha256 \(Self.fingerprint(value)))" + source(name)
    }

    static func fingerprint(_ value: String) -> String {
        SHA256.hash(data: Data(value.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    private func secrets(_ name: String, _ values: [String], unset: String) -> String {
        guard !values.isEmpty else { return unset }
        return values.map { "set (sha256 \(Self.fingerprint($0)))" }.joined(separator: ", ") + source(name)
    }

    /// ` from NAME_FILE (path)` for a secret read from a file, else nothing.
    private func source(_ name: String) -> String {
        BridgeConfiguration.secretFile(name, in: options.effectiveEnvironment).map {
            " from \(BridgeConfiguration.fileVariable(name)) (\($0))"
        } ?? ""
    }

    /// The data directory must exist or be creatable, and take a file. One created here is created as
    /// `serve` would (0700): `serve` keeps the mode of a directory that exists, and the store holds
    /// personal data.
    static func writableProblem(_ directory: String) -> String? {
        let probe = (directory as NSString).appendingPathComponent(".check-config-\(UUID().uuidString)")
        do {
            let mask = umask(0o077)
            defer { umask(mask) }
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            try Data().write(to: URL(fileURLWithPath: probe))
            try FileManager.default.removeItem(atPath: probe)
            return nil
        } catch {
            return "BRIDGE_DATA_DIR: \(directory) is not writable (\(error.localizedDescription))"
        }
    }
}
