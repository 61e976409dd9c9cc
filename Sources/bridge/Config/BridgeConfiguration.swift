import Foundation
import Inbound
import Logging

/// Everything `bridge serve` reads from its environment (DESIGN §6), validated.
struct BridgeConfiguration: Sendable, Equatable {
    enum LogFormat: String, Sendable { case text, json }

    var novuAPIKey: String?
    var novuAPIURL = "https://api.novu.co"
    var novuWebhookSecrets: [String] = []
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
    /// Above this many bytes of store, ingest answers 503 `StoreFull`; `nil`: no limit.
    var maxStoreBytes: Int64?
    var writeKeys: Set<String> = []
    var environment = "development"
    var host = "0.0.0.0"
    var segmentPort = 8081
    var novuPort = 8082
    var dataDir = "./data"
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
        config.maxStoreBytes = reader.bytes("BRIDGE_MAX_STORE_BYTES")
        config.writeKeys = Set(reader.list("BRIDGE_WRITE_KEYS"))
        config.environment = reader.string("BRIDGE_ENVIRONMENT") ?? config.environment
        config.host = reader.host("BRIDGE_HOST") ?? config.host
        config.segmentPort = reader.port("BRIDGE_SEGMENT_PORT") ?? config.segmentPort
        config.novuPort = reader.port("BRIDGE_NOVU_PORT") ?? config.novuPort
        config.dataDir = reader.string("BRIDGE_DATA_DIR") ?? config.dataDir
        config.mappingFile = reader.string("BRIDGE_MAPPING_FILE")
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

/// Reads typed values out of the environment, collecting problems instead of stopping at the first.
/// Not private so that tests read a variable exactly as `load` does, including those `load` reads next.
struct Reader {
    let environment: [String: String]
    var problems: [BridgeConfiguration.Problem] = []

    mutating func problem(_ variable: String, _ message: String) {
        let problem = BridgeConfiguration.Problem(variable: variable, message: message)
        // A value is read again to show it in a later problem; what is wrong with reading it is said once.
        guard !problems.contains(problem) else { return }
        problems.append(problem)
    }

    /// The value, trimmed of surrounding whitespace and line breaks, or `nil` when unset or blank. A secret
    /// comes from `NAME` or from the file `NAME_FILE` names, never both. A value still holding a control
    /// character is a problem: it would end up in a header line or a log line.
    mutating func string(_ name: String) -> String? {
        let variable: String
        let value: String
        let twin = BridgeConfiguration.fileVariable(name)
        let direct = environment[name].map(BridgeConfiguration.trimmed).flatMap { $0.isEmpty ? nil : $0 }
        if let path = BridgeConfiguration.secretFile(name, in: environment) {
            guard direct == nil else {
                problem(name, "both \(name) and \(twin) are set; set one of them")
                return nil
            }
            guard BridgeConfiguration.controlCharacter(in: path) == nil else {
                problem(twin, "expected a file path without control characters")
                return nil
            }
            switch SecretFile.contents(of: path) {
            case .failure(let failure):
                // The reason only: a file that is not what it should be may still hold part of a secret.
                problem(twin, "cannot read \(path): \(failure.reason)")
                return nil
            case .success(let content):
                let text = BridgeConfiguration.trimmed(content)
                guard !text.isEmpty else {
                    problem(twin, "\(path) is empty")
                    return nil
                }
                (variable, value) = (twin, text)
            }
        } else {
            guard let direct else { return nil }
            (variable, value) = (name, direct)
        }
        if let scalar = BridgeConfiguration.controlCharacter(in: value) {
            let code = String(format: "U+%04X", scalar.value)
            problem(variable, "contains the control character \(code), which no value may hold")
            return nil
        }
        return value
    }

    /// Values separated by commas or spaces.
    mutating func list(_ name: String) -> [String] {
        (string(name) ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
    }

    /// What to show of a bad value: never a secret.
    private func shown(_ name: String, _ value: String) -> String {
        BridgeConfiguration.secretVariables.contains(name) ? "" : ", got '\(value)'"
    }

    /// A size such as `500MB`, `10GB`, `2GiB` or a number of bytes; at least 1 MB.
    mutating func bytes(_ name: String) -> Int64? {
        guard let value = string(name) else { return nil }
        guard let bytes = ByteSizeText.parse(value), bytes >= 1_000_000 else {
            problem(name, "expected a size of at least 1MB, such as 500MB, 10GB or 2GiB\(shown(name, value))")
            return nil
        }
        return bytes
    }

    mutating func port(_ name: String) -> Int? {
        guard let value = string(name) else { return nil }
        guard let port = Int(value), (0...65535).contains(port) else {
            problem(name, "expected a port number from 0 to 65535\(shown(name, value))")
            return nil
        }
        return port
    }

    mutating func integer(_ name: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = string(name) else { return nil }
        guard let number = Int(value), range.contains(number) else {
            problem(name, "expected a whole number from \(range.lowerBound) to \(range.upperBound)\(shown(name, value))")
            return nil
        }
        return number
    }

    mutating func rate(_ name: String) -> Double? {
        guard let value = string(name) else { return nil }
        guard let rate = Double(value), rate > 0, rate.isFinite else {
            problem(name, "expected a positive number of requests per second\(shown(name, value))")
            return nil
        }
        return rate
    }

    mutating func url(_ name: String) -> String? {
        guard let value = string(name) else { return nil }
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            url.host?.isEmpty == false
        else {
            problem(name, "expected an http(s) URL such as https://api.example.com\(shown(name, value))")
            return nil
        }
        // The bridge adds `/v1/…` itself: a base ending in /v1 sent every request to /v1/v1/…, and the
        // destination's 404 dead-lettered every event. A path before it (a proxy's prefix) is kept.
        if url.path.split(separator: "/").last?.lowercased() == "v1" {
            problem(name, "expected the API's base URL without /v1 (the bridge adds /v1/...)\(shown(name, value))")
            return nil
        }
        return value.hasSuffix("/") ? String(value.dropLast()) : value
    }

    /// An address to bind: an IPv4 or IPv6 literal, or a host name. A name is not resolved here (the
    /// resolver may not be up yet), but one that cannot be a host name is refused now rather than by
    /// the bind, which failed without naming the variable and with an exit code that is retried.
    mutating func host(_ name: String) -> String? {
        guard let value = string(name) else { return nil }
        var address = in6_addr()
        if inet_pton(AF_INET, value, &address) == 1 || inet_pton(AF_INET6, value, &address) == 1 { return value }
        let labels = value.split(separator: ".", omittingEmptySubsequences: false)
        let isName =
            value.utf8.count <= 253
            && labels.allSatisfy { label in
                (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                    && label.utf8.allSatisfy { byte in
                        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                            || byte == UInt8(ascii: "-")
                    }
            }
        guard isName else {
            problem(name, "expected an IP address or a host name such as 0.0.0.0, 127.0.0.1 or localhost\(shown(name, value))")
            return nil
        }
        return value
    }

    mutating func duration(_ name: String) -> Duration? {
        guard let value = string(name) else { return nil }
        guard let duration = DurationText.parse(value) else {
            problem(name, "expected a duration such as 500ms, 30s, 5m, 24h or 7d, at most 100 years\(shown(name, value))")
            return nil
        }
        return duration
    }

    /// A duration of at least `floor`.
    mutating func duration(_ name: String, atLeast floor: Duration) -> Duration? {
        guard let duration = duration(name) else { return nil }
        guard duration >= floor else {
            problem(
                name,
                "expected a duration of at least \(DurationText.format(floor)), such as 30s, 5m or 24h\(shown(name, string(name) ?? ""))"
            )
            return nil
        }
        return duration
    }

    /// A duration no longer than `limit` (zero allowed).
    mutating func duration(_ name: String, atMost limit: Duration) -> Duration? {
        guard let duration = duration(name) else { return nil }
        guard duration <= limit else {
            problem(
                name,
                "expected a duration of at most \(DurationText.format(limit)), such as 25ms or 0 (off)\(shown(name, string(name) ?? ""))"
            )
            return nil
        }
        return duration
    }

    mutating func flag(_ name: String) -> Bool? {
        guard let value = string(name)?.lowercased() else { return nil }
        switch value {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default:
            problem(name, "expected 1 or 0 (or true/false, yes/no, on/off)\(shown(name, value))")
            return nil
        }
    }
}

/// Durations as operators write them: `500ms`, `30s`, `5m`, `24h`, `7d`; a bare number is seconds.
enum DurationText {
    /// The largest whole unit that fits: `24h`, `90s`, `250ms`.
    static func format(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        for (suffix, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60000), ("s", 1000)] where ms >= size && ms % size == 0 {
            return "\(ms / size)\(suffix)"
        }
        return "\(ms)ms"
    }

    /// No setting needs more; a larger number (`1e20`) would not fit the milliseconds it is counted in.
    static let longest = Duration.seconds(100 * 365 * 86400)

    static func parse(_ text: String) -> Duration? {
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let unit = units.first { trimmed.hasSuffix($0.suffix) }
        guard let number = Double(unit.map { trimmed.dropLast($0.suffix.count) } ?? Substring(trimmed)), number >= 0 else {
            return nil
        }
        let milliseconds = number * (unit?.seconds ?? 1) * 1000
        guard milliseconds.isFinite, milliseconds <= Double(longest.components.seconds) * 1000 else { return nil }
        return .milliseconds(Int64(milliseconds.rounded()))
    }
}

/// Sizes as operators write them: `500MB`, `10GB`, `2GiB`, `64KiB`, or a bare number of bytes.
enum ByteSizeText {
    static func parse(_ text: String) -> Int64? {
        let units: [(suffix: String, bytes: Double)] = [
            ("kib", 1024), ("mib", 1024 * 1024), ("gib", 1024 * 1024 * 1024), ("tib", 1024 * 1024 * 1024 * 1024),
            ("kb", 1e3), ("mb", 1e6), ("gb", 1e9), ("tb", 1e12), ("b", 1),
        ]
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let unit = units.first { trimmed.hasSuffix($0.suffix) }
        let number = unit.map { trimmed.dropLast($0.suffix.count) } ?? Substring(trimmed)
        guard let value = Double(number.trimmingCharacters(in: .whitespaces)), value >= 0 else { return nil }
        let bytes = value * (unit?.bytes ?? 1)
        guard bytes.isFinite, bytes < 9e18 else { return nil }
        return Int64(bytes.rounded())
    }

    /// `1.5 GB`-style text for messages.
    static func format(_ bytes: Int64) -> String {
        for (suffix, size) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)] where Double(bytes) >= size {
            return String(format: "%.1f %@", Double(bytes) / size, suffix)
        }
        return "\(bytes) B"
    }
}
