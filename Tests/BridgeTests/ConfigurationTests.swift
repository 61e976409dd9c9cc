import ArgumentParser
import Delivery
import Foundation
import Logging
import MappingFiles
import Outbound
import PostgresStore
import TestSupport
import Testing

@testable import bridge

@Suite("Configuration")
struct ConfigurationTests {
    @Test("no variables: the documented defaults, dry run")
    func defaults() {
        let (config, problems) = BridgeConfiguration.load([:])
        #expect(problems.isEmpty)
        #expect(config == BridgeConfiguration())
        #expect(config.novuAPIKey == nil)
        #expect(config.segmentPort == 8081)
        #expect(config.novuPort == 8082)
        #expect(config.novuAPIURL == "https://api.novu.co")
        #expect(config.segmentAPIURL == "https://api.segment.io")
        #expect(config.dataDir == "./data")
        #expect(config.maxRetryAge == .seconds(86400))
        #expect(config.environment == "development")
        #expect(config.novuBulkWait == .milliseconds(25))
        #expect(config.segmentBatchWait == .milliseconds(25))
    }

    @Test("every variable is read")
    func reads() {
        let (config, problems) = BridgeConfiguration.load([
            "NOVU_API_KEY": "nk", "NOVU_API_URL": "https://eu.api.novu.co/",
            "NOVU_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_c2Vjb25k",
            "SEGMENT_WRITE_KEY": "sk", "SEGMENT_API_URL": "https://events.eu1.segmentapis.com",
            "SEGMENT_SHARED_SECRET": "ss", "BRIDGE_WRITE_KEYS": "a,b", "BRIDGE_ENVIRONMENT": "production",
            "BRIDGE_HOST": "127.0.0.1", "BRIDGE_SEGMENT_PORT": "9001", "BRIDGE_NOVU_PORT": "9002", "BRIDGE_DATA_DIR": "/var/lib/b",
            "BRIDGE_MAPPING_FILE": "m.yaml", "BRIDGE_MAX_RETRY_AGE": "2h", "BRIDGE_LOG_LEVEL": "debug", "BRIDGE_LOG_FORMAT": "json",
            "BRIDGE_SHUTDOWN_TIMEOUT": "500ms", "BRIDGE_ACCEPT_UNSIGNED": "1", "NOVU_BULK_WAIT": "0",
            "SEGMENT_BATCH_WAIT": "100ms", "NOVU_MAX_RPS": "50", "SEGMENT_MAX_RPS": "2.5", "BRIDGE_RETENTION": "30d",
            "BRIDGE_IDLE_TIMEOUT": "5s", "BRIDGE_HOLD_PROBE_INTERVAL": "2m", "NOVU_BULK_THRESHOLD": "20", "NOVU_CONCURRENCY": "4",
        ])
        #expect(problems.isEmpty)
        #expect(config.novuAPIKey == "nk")
        #expect(config.novuAPIURL == "https://eu.api.novu.co")
        #expect(config.novuWebhookSecrets == ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2Vjb25k"])
        #expect(config.segmentWriteKey == "sk")
        #expect(config.segmentAPIURL == "https://events.eu1.segmentapis.com")
        #expect(config.segmentSharedSecrets == ["ss"])
        #expect(config.writeKeys == ["a", "b"])
        #expect(config.environment == "production")
        #expect(config.host == "127.0.0.1")
        #expect(config.segmentPort == 9001)
        #expect(config.novuPort == 9002)
        #expect(config.dataDir == "/var/lib/b")
        #expect(config.mappingFile == "m.yaml")
        #expect(config.novuMaxRPS == 50)
        #expect(config.segmentMaxRPS == 2.5)
        #expect(config.retention == .seconds(30 * 86400))
        #expect(config.idleTimeout == .seconds(5))
        #expect(config.holdProbeInterval == .seconds(120))
        #expect(config.bulkThreshold == 20)
        #expect(config.novuConcurrency == 4)
        #expect(config.maxRetryAge == .seconds(7200))
        #expect(config.shutdownTimeout == .milliseconds(500))
        #expect(config.logLevel == .debug)
        #expect(config.logFormat == .json)
        #expect(config.acceptUnsigned)
        #expect(config.novuBulkWait == .zero)
        #expect(config.segmentBatchWait == .milliseconds(100))
    }

    static let bad: [(variable: String, value: String)] = [
        ("BRIDGE_SEGMENT_PORT", "70000"), ("BRIDGE_NOVU_PORT", "abc"), ("BRIDGE_MAX_RETRY_AGE", "forever"),
        ("BRIDGE_SHUTDOWN_TIMEOUT", "-3s"), ("NOVU_API_URL", "api.novu.co"), ("SEGMENT_API_URL", "ftp://x"),
        ("BRIDGE_LOG_LEVEL", "loud"), ("BRIDGE_LOG_FORMAT", "xml"), ("BRIDGE_ACCEPT_UNSIGNED", "maybe"),
        ("NOVU_BULK_THRESHOLD", "1000"), ("NOVU_WEBHOOK_SECRET", "whsec_!!notbase64"), ("NOVU_BULK_WAIT", "10s"),
        ("SEGMENT_BATCH_WAIT", "soon"), ("BRIDGE_HOST", "not a host!!"), ("BRIDGE_HOST", "-bad.example"),
        ("SVIX_API_URL", "api.svix.com"),
        ("NOVU_POLL", "sometimes"), ("NOVU_POLL_INTERVAL", "0"), ("NOVU_POLL_MAX_RPS", "-1"), ("NOVU_POLL_MAX_AGE", "31d"),
        ("NOVU_POLL_MAX_INTERVAL", "30s"),
        // The bridge adds /v1/...: with it in the base, every request went to /v1/v1/... and was dead-lettered.
        ("NOVU_API_URL", "https://api.novu.co/v1"), ("SEGMENT_API_URL", "https://api.segment.io/v1/"),
        // Zero: every event dead-lettered on its first retry, a held destination probed nonstop, every
        // dedupe key pruned at once. Too large to count in milliseconds: the process trapped.
        ("BRIDGE_MAX_RETRY_AGE", "0"), ("BRIDGE_HOLD_PROBE_INTERVAL", "0"), ("BRIDGE_RETENTION", "0"),
        ("BRIDGE_MAX_RETRY_AGE", "1e20"), ("BRIDGE_SHUTDOWN_TIMEOUT", "1e20d"), ("BRIDGE_RETENTION", "36501d"),
        // A lease shorter than a request loses the job to another replica mid-send.
        ("BRIDGE_DATABASE_URL", "mysql://bridge@db/queue"), ("BRIDGE_DATABASE_URL", "postgres://bridge@db"),
        ("BRIDGE_CLAIM_LEASE", "1s"), ("BRIDGE_DATABASE_POOL_SIZE", "0"),
    ]

    @Test("BRIDGE_DATABASE_URL selects PostgreSQL with its lease and pool; without it, SQLite")
    func database() throws {
        #expect(BridgeConfiguration.load([:]).0.database == nil)
        let (config, problems) = BridgeConfiguration.load([
            "BRIDGE_DATABASE_URL": "postgres://bridge:pw-0123@db.internal:6432/queue?sslmode=verify-full",
            "BRIDGE_CLAIM_LEASE": "90s", "BRIDGE_DATABASE_POOL_SIZE": "25",
        ])
        #expect(problems.isEmpty, "\(problems)")
        let database = try #require(config.database)
        #expect(
            database.url
                == DatabaseURL(host: "db.internal", port: 6432, user: "bridge", password: "pw-0123", database: "queue", tls: .verifyFull)
        )
        #expect(database.claimLease == .seconds(90))
        #expect(database.poolSize == 25)
        // What is wrong is named; the password never is.
        let (_, refused) = BridgeConfiguration.load(["BRIDGE_DATABASE_URL": "postgres://bridge:pw-0123@db:70000/queue"])
        #expect(refused.map(\.variable) == ["BRIDGE_DATABASE_URL"])
        #expect(refused.first?.message.contains("port 70000") == true)
        #expect(!"\(refused)".contains("pw-0123"))
    }

    @Test("a bad value is a problem naming the variable", arguments: bad)
    func badValue(variable: String, value: String) {
        let (_, problems) = BridgeConfiguration.load([variable: value])
        #expect(problems.map(\.variable) == [variable])
        #expect(problems.first?.message.isEmpty == false)
    }

    @Test("bind addresses: IPv4 and IPv6 literals and host names; base URLs may carry a proxy's path prefix")
    func addresses() {
        for host in ["0.0.0.0", "::", "::1", "localhost", "bridge-1.internal.example"] {
            let (config, problems) = BridgeConfiguration.load(["BRIDGE_HOST": host])
            #expect(problems.isEmpty, "\(host)")
            #expect(config.host == host)
        }
        let (config, problems) = BridgeConfiguration.load(["NOVU_API_URL": "https://gateway.example.com/novu/"])
        #expect(problems.isEmpty)
        #expect(config.novuAPIURL == "https://gateway.example.com/novu")
    }

    @Test("a bad value given by a flag is reported under the flag's name and its variable")
    func badFlag() throws {
        let loaded = try ServeOptions.parse(["--segment-port", "abc", "--mapping-file", "/nonexistent/mapping.yaml"]).load()
        #expect(loaded.problems.contains("--segment-port (BRIDGE_SEGMENT_PORT): expected a port number from 0 to 65535, got 'abc'"))
        #expect(loaded.problems.contains { $0.hasPrefix("--mapping-file (BRIDGE_MAPPING_FILE): ") })
    }

    @Test("dedupe keys must outlive retries: BRIDGE_RETENTION below BRIDGE_MAX_RETRY_AGE is a problem")
    func retentionCoversRetries() {
        let (_, problems) = BridgeConfiguration.load(["BRIDGE_MAX_RETRY_AGE": "48h", "BRIDGE_RETENTION": "1d"])
        #expect(problems.map(\.variable) == ["BRIDGE_RETENTION"])
        #expect(problems.first?.message.contains("BRIDGE_MAX_RETRY_AGE (2d)") == true)
        // With the default retention (7d), a longer give-up age alone is the problem.
        let (_, alone) = BridgeConfiguration.load(["BRIDGE_MAX_RETRY_AGE": "30d"])
        #expect(alone.map(\.variable) == ["BRIDGE_MAX_RETRY_AGE"])
        #expect(alone.first?.message.contains("BRIDGE_RETENTION (7d)") == true)
        let (config, none) = BridgeConfiguration.load(["BRIDGE_MAX_RETRY_AGE": "48h", "BRIDGE_RETENTION": "2d"])
        #expect(none.isEmpty)
        #expect(config.retention == .seconds(2 * 86400))
    }

    @Test(
        "the poller runs on NOVU_POLL=on, or on auto with a key and no webhook secret outside a dry run",
        arguments: [
            ([String: String](), false), (["NOVU_API_KEY": "k"], true),
            (["NOVU_API_KEY": "k", "NOVU_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], false),
            (["NOVU_API_KEY": "k", "BRIDGE_DRY_RUN": "1"], false), (["NOVU_API_KEY": "k", "NOVU_POLL": "off"], false),
            (["NOVU_API_KEY": "k", "NOVU_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "NOVU_POLL": "on"], true),
        ]
    )
    func pollEnabled(environment: [String: String], enabled: Bool) {
        let (config, problems) = BridgeConfiguration.load(environment)
        #expect(problems.isEmpty)
        #expect(config.pollEnabled == enabled)
    }

    @Test("NOVU_POLL=on without NOVU_API_KEY is a problem: there is nothing to read Novu with")
    func pollWithoutKey() {
        #expect(BridgeConfiguration.load(["NOVU_POLL": "on"]).1.map(\.variable) == ["NOVU_POLL"])
    }

    @Test("every problem is reported at once")
    func allProblems() {
        let (_, problems) = BridgeConfiguration.load(["BRIDGE_SEGMENT_PORT": "x", "BRIDGE_NOVU_PORT": "y", "BRIDGE_LOG_FORMAT": "z"])
        #expect(Set(problems.map(\.variable)) == ["BRIDGE_SEGMENT_PORT", "BRIDGE_NOVU_PORT", "BRIDGE_LOG_FORMAT"])
    }

    @Test("durations: ms, s, m, h, d and bare seconds")
    func durations() {
        #expect(DurationText.parse("250ms") == .milliseconds(250))
        #expect(DurationText.parse("30s") == .seconds(30))
        #expect(DurationText.parse("5m") == .seconds(300))
        #expect(DurationText.parse("24h") == .seconds(86400))
        #expect(DurationText.parse("7d") == .seconds(604_800))
        #expect(DurationText.parse("12") == .seconds(12))
        #expect(DurationText.parse("1.5h") == .seconds(5400))
        #expect(DurationText.parse("soon") == nil)
    }
}

@Suite("Mapping file")
struct MappingFileTests {
    @Test("YAML rules are read")
    func yaml() throws {
        let file = try MappingFile.parse(
            """
            fallback: ignore
            rules:
              - event: Order Shipped
                workflow: order-shipped
                payload: [orderId]
                to: {email: email}
            """,
            path: "m.yaml"
        )
        #expect(file.rules.fallback == .ignore)
        #expect(file.rules.rules.first?.workflow == "order-shipped")
        #expect(file.rules.rules.first?.payload == ["orderId"])
    }

    @Test("JSON works too")
    func json() throws {
        let file = try MappingFile.parse(#"{"rules":[{"event":"E","workflow":"w"}]}"#, path: "m.json")
        #expect(file.rules.rules.count == 1)
    }

    @Test("unknown keys are startup errors that name the key")
    func unknownKeys() {
        #expect { try MappingFile.parse("rulez: []", path: "m.yaml") } throws: { error in
            "\(error)".contains("unknown key 'rulez'") && "\(error)".contains("m.yaml")
        }
        #expect { try MappingFile.parse("rules:\n  - event: E\n    workflow: w\n    colour: red", path: "m.yaml") } throws: { error in
            "\(error)".contains("unknown key 'rules[0].colour'")
        }
    }

    @Test("a rule's context is read: literal ids and {path: …}")
    func context() throws {
        let file = try MappingFile.parse(
            """
            rules:
              - event: Order Shipped
                workflow: order-shipped
                context:
                  tenant: acme
                  workspace: {path: properties.workspaceId}
            """,
            path: "m.yaml"
        )
        #expect(
            file.rules.rules.first?.context
                == TriggerContext(["tenant": .literal("acme"), "workspace": .path(["properties", "workspaceId"])])
        )
    }

    @Test("more than five context keys is a startup error naming the file, line and key path")
    func contextLimit() {
        let yaml = """
            rules:
              - event: E
                workflow: w
                context: {a: "1", b: "2", c: "3", d: "4", e: "5", f: "6"}
            """
        #expect { try MappingFile.parse(yaml, path: "m.yaml") } throws: { error in
            "\(error)" == "m.yaml:4: rules[0].context: at most 5 keys (Novu's limit), found 6"
        }
    }

    @Test("an unreadable file is a problem naming the path")
    func unreadable() {
        #expect { try MappingFile.load(path: "/nonexistent/mapping.yaml") } throws: { error in
            "\(error)".contains("/nonexistent/mapping.yaml")
        }
    }
}
