import Delivery
import Foundation
import JSON
import TestSupport
import Testing

/// `bridge novu webhook setup | status | recover`, the built binary against a fake Novu and a fake Svix.
@Suite("novu webhook CLI", .serialized)
struct NovuWebhookCLITests {
    static let url = "https://bridge.example.com/webhooks/novu"
    static let defaultTypes: JSONValue = [
        "message.delivered", "message.failed", "message.read", "message.seen", "message.sent", "preference.updated",
    ]

    /// No secret, token, key or one-time link piece appears in `text`.
    func expectNoSecrets(_ text: String) {
        #expect(!text.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa"), "the signing secret leaked")
        #expect(!text.contains("portal-token-secret"), "the portal token leaked")
        #expect(!text.contains(FakeNovuWebhooks.apiKey), "the Novu key leaked")
    }

    func setup(_ fakes: FakeNovuWebhooks, _ secretFile: String, _ extra: [String] = []) async throws -> (status: Int32, text: String) {
        let result = try await BridgeProcess.run(
            ["novu", "webhook", "setup", "--url", Self.url, "--secret-file", secretFile] + extra,
            environment: fakes.environment
        )
        return (result.status, result.output + result.errors)
    }

    @Test("setup creates the endpoint once, writes the secret 0600 and never prints it; a second run changes nothing")
    func setupTwice() async throws {
        let fakes = try await FakeNovuWebhooks.start(endpoints: [
            FakeNovuWebhooks.endpoint("ep_other", url: "https://other.example.com/x", events: nil)
        ])
        defer { fakes.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.file("novu_webhook_secret")

        let first = try await setup(fakes, file)
        #expect(first.status == 0, "\(first.text)")
        #expect(first.text.contains("(created)"))
        expectNoSecrets(first.text)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == FakeNovuWebhooks.signingSecret + "\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        // Novu: the GET with the key; Svix: every request with the portal token, one create.
        #expect(fakes.novu.requests.map(\.method) == ["GET"])
        #expect(fakes.novu.requests.first?.path == "/v2/outbound-webhooks/portal/token")
        #expect(fakes.novu.requests.first?.headers["authorization"] == "ApiKey \(FakeNovuWebhooks.apiKey)")
        #expect(fakes.svix.requests.allSatisfy { $0.headers["authorization"] == "Bearer \(FakeNovuWebhooks.token)" })
        #expect(fakes.writes.count == 1)
        let create = try #require(fakes.writes.first)
        #expect(create.path == "/api/v1/app/\(FakeNovuWebhooks.appId)/endpoint")
        #expect(create.json["url"] == .string(Self.url))
        #expect(create.json["filterTypes"] == Self.defaultTypes)
        #expect(create.json["description"]?.stringValue?.isEmpty == false)
        #expect(fakes.svix.requests.last?.path == "/api/v1/app/\(FakeNovuWebhooks.appId)/endpoint/ep_1/secret")

        let inode = attributes[.systemFileNumber] as? NSNumber
        let second = try await setup(fakes, file)
        #expect(second.status == 0, "\(second.text)")
        #expect(second.text.contains("nothing changed"))
        expectNoSecrets(second.text)
        #expect(fakes.writes.count == 1, "a second endpoint, or a change, on the second run")
        // Two endpoints now: the listing took two pages, and the second found the first run's endpoint.
        #expect(fakes.svix.requests.contains { $0.path.contains("iterator=it_2") })
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.systemFileNumber] as? NSNumber) == inode, "the file was rewritten")
    }

    @Test("setup corrects the filter of the endpoint at the URL with --events globs, and enables it")
    func setupUpdates() async throws {
        let existing = FakeNovuWebhooks.endpoint("ep_9", url: Self.url + "/", events: ["message.sent"], disabled: true)
        let fakes = try await FakeNovuWebhooks.start(endpoints: [existing])
        defer { fakes.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await setup(fakes, dir.file("secret"), ["--events", "message.*,preference.updated"])
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("(updated)"))
        let patch = try #require(fakes.writes.first)
        #expect(fakes.writes.count == 1)
        #expect(patch.method == "PATCH")
        #expect(patch.path == "/api/v1/app/\(FakeNovuWebhooks.appId)/endpoint/ep_9")
        #expect(patch.json["disabled"] == false)
        #expect(patch.json["filterTypes"]?.arrayValue?.count == 12)
        #expect(patch.json["filterTypes"]?.arrayValue?.contains("message.unsnoozed") == true)
        expectNoSecrets(result.text)
    }

    @Test("setup on an environment without a webhook application creates it (POST), then takes the token")
    func setupCreatesApplication() async throws {
        let fakes = try await FakeNovuWebhooks.start()
        defer { fakes.stop() }
        let gets = Locked(0)
        fakes.novu.respond { request in
            if request.method == "POST" { return FakeResponse(status: 201, json: ["data": ["appId": .string(FakeNovuWebhooks.appId)]]) }
            let count = gets.withLock { value in
                value += 1
                return value
            }
            if count == 1 { return FakeResponse(status: 404, json: ["statusCode": 404, "message": "Portal not found for environment e1"]) }
            return FakeNovuWebhooks.portalToken
        }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await setup(fakes, dir.file("secret"))
        #expect(result.status == 0, "\(result.text)")
        #expect(fakes.novu.requests.map(\.method) == ["GET", "POST", "GET"])
        #expect(fakes.novu.requests[1].json == [:])
        #expect(fakes.writes.count == 1)
    }

    @Test("a Novu that gives the token only in the POST's answer (DESIGN §10) is set up from that answer")
    func tokenFromPost() async throws {
        let fakes = try await FakeNovuWebhooks.start()
        defer { fakes.stop() }
        fakes.novu.respond { request in
            guard request.method == "POST" else {
                return FakeResponse(status: 404, json: ["statusCode": 404, "message": "Cannot GET /v2/outbound-webhooks/portal/token"])
            }
            return FakeNovuWebhooks.portalToken
        }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await setup(fakes, dir.file("secret"))
        #expect(result.status == 0, "\(result.text)")
        #expect(fakes.novu.requests.map(\.method) == ["GET", "POST"])
        #expect(try String(contentsOfFile: dir.file("secret"), encoding: .utf8).hasPrefix("whsec_"))
        expectNoSecrets(result.text)
    }

    @Test("status shows the endpoint, its filter, whether it is disabled, and its failed attempts")
    func status() async throws {
        let fakes = try await FakeNovuWebhooks.start(endpoints: [
            FakeNovuWebhooks.endpoint("ep_other", url: "https://other.example.com/x", events: nil),
            FakeNovuWebhooks.endpoint("ep_7", url: Self.url, events: ["message.delivered", "message.sent"]),
        ])
        defer { fakes.stop() }
        let result = try await BridgeProcess.run(["novu", "webhook", "status"], environment: fakes.environment)
        let text = result.output + result.errors
        #expect(result.status == 0, "\(text)")
        for expected in [
            Self.url, "ep_7", "message.delivered, message.sent", "disabled:    no", "msg_failed_1", "401", "signature mismatch",
        ] {
            #expect(text.contains(expected), "\(expected) missing from:\n\(text)")
        }
        let attempts = try #require(fakes.svix.requests.last)
        #expect(attempts.method == "GET")
        #expect(attempts.path == "/api/v1/app/\(FakeNovuWebhooks.appId)/attempt/endpoint/ep_7?status=2&limit=10")
        #expect(attempts.headers["authorization"] == "Bearer \(FakeNovuWebhooks.token)")
        expectNoSecrets(text)
    }

    @Test("recover asks Svix to resend since a duration ago or an ISO 8601 time")
    func recover() async throws {
        let fakes = try await FakeNovuWebhooks.start(endpoints: [FakeNovuWebhooks.endpoint("ep_7", url: Self.url, events: nil)])
        defer { fakes.stop() }
        let before = Date()
        let relative = try await BridgeProcess.run(
            ["novu", "webhook", "recover", "--since", "6h", "--url", Self.url],
            environment: fakes.environment
        )
        #expect(relative.status == 0, "\(relative.output)\(relative.errors)")
        #expect(relative.output.contains("qtask_1"))
        let post = try #require(fakes.writes.last)
        #expect(post.path == "/api/v1/app/\(FakeNovuWebhooks.appId)/endpoint/ep_7/recover")
        #expect(post.headers["authorization"] == "Bearer \(FakeNovuWebhooks.token)")
        let since = try #require(post.json["since"]?.stringValue.flatMap { try? Date($0, strategy: .iso8601) })
        #expect(abs(since.timeIntervalSince(before.addingTimeInterval(-6 * 3600))) < 60)

        let absolute = try await BridgeProcess.run(
            ["novu", "webhook", "recover", "--since", "2026-12-01T08:30:00Z"],
            environment: fakes.environment
        )
        #expect(absolute.status == 0, "\(absolute.output)\(absolute.errors)")
        #expect(fakes.writes.last?.json == ["since": "2026-12-01T08:30:00Z"])

        let bad = try await BridgeProcess.run(["novu", "webhook", "recover", "--since", "yesterday"], environment: fakes.environment)
        #expect(bad.status != 0)
        #expect(bad.errors.contains("--since"))
    }

    /// Where each failure happens: Novu's answer, Svix's answer, or no answer at all.
    enum Fault: String, CaseIterable, Sendable {
        case novu402, novu403, novu404, novuRefused, svix401, svix500, svixRefused
    }

    @Test("every failure prints what failed and the manual steps, exits non-zero, and leaks nothing", arguments: Fault.allCases)
    func failure(_ fault: Fault) async throws {
        let fakes = try await FakeNovuWebhooks.start()
        defer { fakes.stop() }
        var environment = fakes.environment
        switch fault {
        case .novu402: fakes.novu.respond { _ in FakeResponse(status: 402, json: ["statusCode": 402, "message": "Payment Required"]) }
        case .novu403: fakes.novu.respond { _ in FakeResponse(status: 403, json: ["statusCode": 403, "message": "Forbidden"]) }
        case .novu404:
            fakes.novu.respond { _ in
                FakeResponse(status: 404, json: ["statusCode": 404, "message": "Cannot GET /v2/outbound-webhooks/portal/token"])
            }
        case .novuRefused: environment["NOVU_API_URL"] = "http://127.0.0.1:1"
        case .svix401: fakes.state.withLock { $0.failWith = 401 }
        case .svix500: fakes.state.withLock { $0.failWith = 500 }
        case .svixRefused: environment["SVIX_API_URL"] = "http://127.0.0.1:1"
        }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.file("secret")
        let result = try await BridgeProcess.run(
            ["novu", "webhook", "setup", "--url", Self.url, "--secret-file", file],
            environment: environment
        )
        let text = result.output + result.errors
        #expect(result.status == 1, "\(text)")
        #expect(text.contains("Set the webhook up by hand"), "\(text)")
        #expect(text.contains(Self.url))
        #expect(text.contains("message.delivered, message.failed, message.read, message.seen, message.sent, preference.updated"))
        #expect(text.contains(file))
        #expect(!FileManager.default.fileExists(atPath: file))
        expectNoSecrets(text)
        switch fault {
        case .novu402, .novu403:
            #expect(text.contains("HTTP \(fault == .novu402 ? 402 : 403)"))
            #expect(text.contains("NOVU_POLL=on"))
        case .novu404:
            #expect(text.contains("HTTP 404") && text.contains("self-hosted"))
        case .novuRefused, .svixRefused:
            #expect(text.contains("no answer"))
        case .svix401, .svix500:
            #expect(text.contains("HTTP \(fault == .svix401 ? 401 : 500)") && text.contains("fake Svix refuses"))
        }
        // Once Novu gave the one-time portal link, the steps start from it.
        let gotPortal = [Fault.svix401, .svix500, .svixRefused].contains(fault)
        #expect(text.contains(FakeNovuWebhooks.portalURL) == gotPortal, "\(text)")
    }

    @Test("a secret file that could not be written is refused before Novu or Svix is asked anything")
    func unwritableSecretFile() async throws {
        let fakes = try await FakeNovuWebhooks.start()
        defer { fakes.stop() }
        let result = try await setup(fakes, "/nonexistent-dir-\(UUID().uuidString)/secret")
        #expect(result.status == 64)
        #expect(result.text.contains("--secret-file"))
        #expect(fakes.novu.requests.isEmpty && fakes.svix.requests.isEmpty)
    }

    @Test("without NOVU_API_KEY the commands stop with a configuration error naming it")
    func missingKey() async throws {
        let result = try await BridgeProcess.run(["novu", "webhook", "status"], environment: ["NOVU_API_URL": "http://127.0.0.1:1"])
        #expect(result.status == 78)
        #expect(result.errors.contains("NOVU_API_KEY"))
    }
}
