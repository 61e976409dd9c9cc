import Foundation
import GRDB
import JSON
import TestSupport
import Testing

@testable import Delivery

/// The operator's CLI, driven through the built binary.
@Suite("CLI", .serialized)
struct CLITests {
    static let secrets = [
        "NOVU_API_KEY": "nk-secret-0123456789", "SEGMENT_WRITE_KEY": "sk-secret-0123456789",
        "SEGMENT_SHARED_SECRET": "shared-secret-0123456789", "BRIDGE_WRITE_KEYS": "wk-secret-0123456789",
        "NOVU_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ]

    func expectNoSecrets(_ text: String) {
        for value in Self.secrets.values {
            #expect(!text.contains(value), "a secret leaked")
            #expect(!text.contains(String(value.suffix(4))), "the end of a secret leaked")
        }
        #expect(!text.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa"))
    }

    @Test("--help lists every subcommand with one line each; version prints the version")
    func help() async throws {
        let help = try await BridgeProcess.run(["--help"])
        #expect(help.status == 0)
        for command in ["serve", "check-config", "test-event", "stats", "dlq", "novu", "version"] {
            #expect(help.output.contains("  \(command)"), "\(command) missing from --help")
        }
        let version = try await BridgeProcess.run(["version"])
        #expect(version.status == 0)
        #expect(version.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }

    @Test("check-config: a good configuration passes, with secrets masked")
    func checkConfigGood() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var environment = Self.secrets
        environment["BRIDGE_DATA_DIR"] = dir.path
        environment["BRIDGE_MAPPING_FILE"] = Shared.packageRoot.appendingPathComponent("examples/mapping.yaml").path
        let result = try await BridgeProcess.run(["check-config"], environment: environment)
        #expect(result.status == 0, "\(result.output)\(result.errors)")
        #expect(result.output.contains("configuration OK"))
        // The fingerprint is the first 8 hex digits of SHA-256: `printf %s nk-secret-0123456789 | sha256sum`.
        let keyLine = result.output.split(separator: "\n").first { $0.hasPrefix("  NOVU_API_KEY ") }
        #expect(keyLine?.hasSuffix(" set (sha256 6a8269f0)") == true)
        // Signature-only authentication of Segment's webhooks: the token is recommended.
        #expect(result.output.contains("note: SEGMENT_SHARED_SECRET alone authenticates only the first event of a batch"))
        #expect(result.output.contains("mapping file: 3 rule(s), fallback seed"))
        expectNoSecrets(result.output + result.errors)
    }

    @Test("check-config shows the PostgreSQL store without its password, and asks no writable data directory")
    func checkConfigDatabase() async throws {
        var environment = Self.secrets
        environment["BRIDGE_DATABASE_URL"] = "postgres://bridge:pw-never-printed@db.internal:5432/queue?sslmode=require"
        environment["BRIDGE_DATA_DIR"] = "/proc/not-writable"
        let result = try await BridgeProcess.run(["check-config"], environment: environment)
        #expect(result.status == 0, "\(result.output)\(result.errors)")
        #expect(result.output.contains("postgres://bridge:***@db.internal:5432/queue?sslmode=require (PostgreSQL, shared by replicas)"))
        #expect(!(result.output + result.errors).contains("pw-never-printed"))
    }

    @Test("dlq and stats never change a store's schema: an older store is refused and left as it was")
    func cliDoesNotMigrate() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file(SQLiteStore.fileName)
        try SQLiteStore.migrator.migrate(DatabaseQueue(path: path), upTo: "v1")
        for command in [["dlq", "list"], ["stats"]] {
            let result = try await BridgeProcess.run(command + ["--data-dir", dir.path])
            #expect(result.status != 0, "\(command)")
            #expect((result.output + result.errors).contains("older schema"), "\(result.output)\(result.errors)")
        }
        let applied = try await DatabaseQueue(path: path).read { try SQLiteStore.migrator.appliedIdentifiers($0) }
        #expect(applied == ["v1"])
    }

    @Test("a missing store or dead letter is an error with status 1, not a usage error (64) with the usage text")
    func runtimeErrors() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let missing = try await BridgeProcess.run(["dlq", "list", "--data-dir", dir.file("nowhere")])
        #expect(missing.status == 1)
        #expect(missing.errors.contains("no store at") && !missing.errors.contains("Usage"), "\(missing.errors)")
        _ = try SQLiteStore(directory: dir.path)
        let unknown = try await BridgeProcess.run(["dlq", "show", "999", "--data-dir", dir.path])
        #expect(unknown.status == 1)
        #expect(unknown.errors.contains("no dead letter with id 999") && !unknown.errors.contains("Usage"), "\(unknown.errors)")
    }

    static let badValues: [(variable: String, value: String)] = [
        ("BRIDGE_SEGMENT_PORT", "65536"), ("BRIDGE_NOVU_PORT", "eighty"), ("BRIDGE_MAX_RETRY_AGE", "1 day"),
        ("BRIDGE_SHUTDOWN_TIMEOUT", "ten"), ("NOVU_API_URL", "not a url"), ("SEGMENT_API_URL", "api.segment.io"),
        ("NOVU_WEBHOOK_SECRET", "whsec_***"), ("BRIDGE_LOG_LEVEL", "chatty"), ("BRIDGE_LOG_FORMAT", "yaml"),
        ("BRIDGE_ACCEPT_UNSIGNED", "perhaps"), ("BRIDGE_RETENTION", "forever"), ("NOVU_MAX_RPS", "-5"),
        ("BRIDGE_HOLD_PROBE_INTERVAL", "1 minute"), ("NOVU_BULK_THRESHOLD", "0"), ("SEGMENT_MAX_RPS", "fast"),
        ("NOVU_CONCURRENCY", "0"), ("BRIDGE_HOST", "not a host!!"),
    ]

    @Test("check-config and serve refuse a bad value with a message naming the variable", arguments: badValues)
    func badValue(variable: String, value: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var environment = Self.secrets
        environment["BRIDGE_DATA_DIR"] = dir.path
        environment[variable] = value
        let check = try await BridgeProcess.run(["check-config"], environment: environment)
        #expect(check.status == 78)
        #expect(check.output.contains("- \(variable): "))
        expectNoSecrets(check.output + check.errors)
        environment["BRIDGE_SEGMENT_PORT"] = variable == "BRIDGE_SEGMENT_PORT" ? value : "0"
        environment["BRIDGE_NOVU_PORT"] = variable == "BRIDGE_NOVU_PORT" ? value : "0"
        let serve = try await BridgeProcess.run(["serve"], environment: environment)
        #expect(serve.status == 78)
        #expect(serve.errors.contains(variable))
        expectNoSecrets(serve.output + serve.errors)
    }

    @Test("check-config names the mapping file, line and key of an unknown key, and an unreadable file")
    func badMappingFile() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.file("mapping.yaml")
        try Data("rules:\n  - event: Order Shipped\n    workflow: order-shipped\n    colour: red\n".utf8).write(
            to: URL(fileURLWithPath: file)
        )
        let unknown = try await BridgeProcess.run(
            ["check-config"],
            environment: ["BRIDGE_DATA_DIR": dir.path, "BRIDGE_MAPPING_FILE": file]
        )
        #expect(unknown.status == 78)
        #expect(unknown.output.contains("BRIDGE_MAPPING_FILE: \(file):4: unknown key 'rules[0].colour'"))
        let missing = try await BridgeProcess.run(
            ["check-config"],
            environment: ["BRIDGE_DATA_DIR": dir.path, "BRIDGE_MAPPING_FILE": dir.file("nope.yaml")]
        )
        #expect(missing.status == 78)
        #expect(missing.output.contains("BRIDGE_MAPPING_FILE: \(dir.file("nope.yaml")): cannot read the file"))
    }

    @Test("check-config reports every problem at once, and a data directory that cannot be written")
    func everyProblem() async throws {
        let result = try await BridgeProcess.run(
            ["check-config"],
            environment: ["BRIDGE_SEGMENT_PORT": "x", "BRIDGE_LOG_FORMAT": "y", "BRIDGE_DATA_DIR": "/proc/bridge-data"]
        )
        #expect(result.status == 78)
        #expect(result.output.contains("3 problems:"))
        #expect(result.output.contains("- BRIDGE_SEGMENT_PORT: "))
        #expect(result.output.contains("- BRIDGE_LOG_FORMAT: "))
        #expect(result.output.contains("- BRIDGE_DATA_DIR: /proc/bridge-data is not writable"))
    }

    @Test("test-event prints the documented Novu request for the seed fixture, key redacted")
    func testEventSeed() async throws {
        let fixture = Shared.directory.appendingPathComponent("fixtures/segment-seed-track.json").path
        let result = try await BridgeProcess.run(["test-event", fixture], environment: ["NOVU_API_KEY": "nk-secret-0123456789"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("POST https://api.novu.co/v1/events/trigger"))
        #expect(result.output.contains("Authorization: ApiKey [redacted]"))
        #expect(result.output.contains("Idempotency-Key: seg-ajs-next-1732873200000-5c1d9f2e-8a47-4b6e-9d11-2f0c3b7a9e41"))
        let body = try #require(result.output.split(separator: "\n\n", maxSplits: 1).last)
        let json = try JSONValue.parse(Data(body.utf8))
        #expect(json["name"] == "abandoned-cart-recovery-workflow")
        #expect(json["to"] == ["subscriberId": "63da8ee0c037e013fd790ffd", "firstName": "John", "lastName": "Doe"])
        expectNoSecrets(result.output)
    }

    @Test("test-event on an invalid event prints the 400 message and exits non-zero; stdin works")
    func testEventInvalid() async throws {
        let event: JSONValue = ["type": "track", "event": "E", "userId": "u", "properties": ["name": "wf"]]
        let result = try await BridgeProcess.run(["test-event", "-"], input: event.encoded())
        #expect(result.status == 1)
        #expect(result.output.contains("400"))
        #expect(result.output.contains("environment property is required"))
    }

    @Test("test-event --novu prints the Segment event a webhook makes")
    func testEventNovu() async throws {
        let fixture = Shared.directory.appendingPathComponent("fixtures/novu-message-delivered-email.json").path
        let result = try await BridgeProcess.run(["test-event", "--novu", fixture])
        #expect(result.status == 0)
        #expect(result.output.contains("POST https://api.segment.io/v1/batch"))
        #expect(result.output.contains("\"event\" : \"Email Delivered\""))
        #expect(result.output.contains("\"messageId\" : \"novu-6748f0c1a2b3c4d5e6f70001-message.delivered\""))
    }

    @Test("test-event --send really sends to Novu")
    func testEventSend() async throws {
        let novu = try await FakeServer.start { _ in novuProcessed }
        defer { novu.stop() }
        let fixture = Shared.directory.appendingPathComponent("fixtures/segment-seed-track.json").path
        let result = try await BridgeProcess.run(
            ["test-event", "--send", fixture],
            environment: ["NOVU_API_KEY": "k", "NOVU_API_URL": novu.baseURL]
        )
        #expect(result.status == 0)
        #expect(result.output.contains("→ 201"))
        #expect(novu.requests.first?.path == "/v1/events/trigger")
    }

    @Test("examples/mapping.yaml maps Order Shipped to its workflow at a running bridge; stats and metrics follow")
    func exampleMappingAndObservability() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let novu = try await FakeServer.start { _ in novuProcessed }
        defer { novu.stop() }
        let bridge = try BridgeProcess(
            dataDir: dir.path,
            environment: [
                "NOVU_API_KEY": "k", "NOVU_API_URL": novu.baseURL,
                "BRIDGE_MAPPING_FILE": Shared.packageRoot.appendingPathComponent("examples/mapping.yaml").path,
            ]
        )
        let port = try await bridge.port("segment")
        let client = CurlHTTPClient(threads: 1)
        let metricsBefore = try await client.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(port)/metrics"))
        let event: JSONValue = [
            "type": "track", "event": "Order Shipped", "messageId": "ex-1", "userId": "u-9",
            "properties": ["orderId": "o-1", "carrier": "UPS", "internal": "x"], "context": ["traits": ["email": "u9@example.com"]],
        ]
        #expect(try await SegmentPort.post(port, event, client: client) == 200)
        // A seed-convention track of another environment: acknowledged, ignored, counted by reason.
        let otherEnvironment: JSONValue = [
            "type": "track", "event": "Cart", "messageId": "ex-2", "userId": "u-9",
            "properties": ["name": "wf", "environment": "production"],
        ]
        let ignoredAnswer = try await SegmentPort.answer(port, otherEnvironment, client: client)
        #expect(String(decoding: ignoredAnswer.body, as: UTF8.self).contains(#""ignored":1"#))
        // A type that is not Segment's: refused, and counted as unknown rather than under a label of its own.
        let bogus = try await SegmentPort.answer(port, ["type": "bogus-x1", "messageId": "ex-3", "userId": "u-9"], client: client)
        #expect(bogus.status == 400)
        let trigger = try #require(try await novu.waitForRequests(1).first)
        #expect(trigger.json["name"] == "order-shipped")
        #expect(trigger.json["payload"] == ["orderId": "o-1", "carrier": "UPS"])
        #expect(trigger.json["to"] == ["subscriberId": "u-9", "email": "u9@example.com"])

        try await waitUntil("stats show the delivery") {
            let stats = try await BridgeProcess.run(["stats", "--json", "--data-dir", dir.path])
            let novuStats = (try? JSONValue.parse(Data(stats.output.utf8)))?.arrayValue?.first { $0["destination"] == "novu" }
            return novuStats?["lastHour"]?["delivered"] == 1 && novuStats?["queued"] == 0
        }
        let table = try await BridgeProcess.run(["stats", "--data-dir", dir.path])
        #expect(table.output.contains("DESTINATION"))
        #expect(table.output.contains("novu"))

        let metrics = try await client.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(port)/metrics"))
        let text = String(decoding: metrics.body, as: UTF8.self)
        let samples = try PrometheusText.parse(text)
        let before = try PrometheusText.parse(String(decoding: metricsBefore.body, as: UTF8.self))
        let accepted = #"bridge_events_total{outcome="accepted",port="segment",type="track"}"#
        #expect((samples[accepted] ?? 0) > (before[accepted] ?? 0))
        try await waitUntil("the delivery is counted") {
            let now = try await client.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(port)/metrics"))
            let parsed = try PrometheusText.parse(String(decoding: now.body, as: UTF8.self))
            return (parsed[#"bridge_deliveries_total{destination="novu",outcome="delivered"}"#] ?? 0) >= 1
                && parsed.keys.contains { $0.hasPrefix("bridge_delivery_latency_seconds_bucket") }
        }
        #expect(text.contains("# HELP bridge_events_total "))
        #expect(text.contains("# TYPE bridge_events_total counter"))
        #expect(samples[#"bridge_events_ignored_total{port="segment",reason="environment",type="track"}"#] == 1)
        #expect(text.contains("# HELP bridge_events_ignored_total "))
        #expect(samples.keys.contains { $0.hasPrefix("bridge_http_requests_total") })
        #expect(!text.contains("bogus-x1"))
        #expect(samples[#"bridge_events_total{outcome="rejected",port="segment",type="unknown"}"#] == 1)
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
        // JSON logs: every line the process wrote is one JSON object, the startup banner included.
        let lines = bridge.log.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines { #expect((try? JSONValue.parse(Data(line.utf8)))?.objectValue != nil, "not JSON: \(line)") }
        #expect(bridge.logLines.contains { $0["message"] == "starting novu-segment-bridge" })
    }
}

/// A strict reader of the Prometheus text exposition format (0.0.4), for tests: every line must be a
/// comment (`# HELP`/`# TYPE`) or a sample `name{labels} value`; returns samples by name and labels.
enum PrometheusText {
    static func parse(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        let name = #"[a-zA-Z_:][a-zA-Z0-9_:]*"#
        let sample = try Regex(
            #"^(\#(name))(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)( -?[0-9]+)?$"#
        )
        let help = try Regex(#"^# (HELP|TYPE) \#(name) .+$"#)
        for line in text.split(separator: "\n") where !line.isEmpty {
            if line.hasPrefix("#") {
                guard line.wholeMatch(of: help) != nil else { throw TestFailure("bad comment line: \(line)") }
                continue
            }
            guard line.wholeMatch(of: sample) != nil, let space = line.lastIndex(of: " ") else {
                throw TestFailure("bad sample line: \(line)")
            }
            let key = String(line[..<space])
            let value = Double(line[line.index(after: space)...].trimmingCharacters(in: .whitespaces)) ?? .nan
            samples[Self.canonical(key)] = value
        }
        return samples
    }

    /// Labels sorted, so a test can name a sample without knowing the emitter's order.
    static func canonical(_ key: String) -> String {
        guard let open = key.firstIndex(of: "{"), key.hasSuffix("}") else { return key }
        let labels = key[key.index(after: open)..<key.index(before: key.endIndex)].split(separator: ",").sorted()
        return key[..<open] + "{" + labels.joined(separator: ",") + "}"
    }
}
