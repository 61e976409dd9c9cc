import Delivery
import Foundation
import JSON
import TestSupport
import Testing

/// `bridge doctor` as a process, against a fake Novu and a fake Svix, over a store a real `serve` filled.
@Suite("Doctor (process)")
struct DoctorProcessTests {
    static let url = "https://bridge.example/webhooks/novu"

    /// Fake Novu: environments/me (or `keyStatus`), the v2 subscriber route (or a route-not-found
    /// 404), the webhook portal token, and triggers with an activity API.
    static func start(keyStatus: Int = 200, v2: Bool = true) async throws -> (FakeNovuWebhooks, FakeNovuActivity) {
        let events = ["message.sent", "message.delivered", "message.seen", "message.read", "message.failed", "preference.updated"]
        let fakes = try await FakeNovuWebhooks.start(endpoints: [FakeNovuWebhooks.endpoint("ep_1", url: url, events: events)])
        let activity = FakeNovuActivity()
        fakes.novu.respond { request in
            let path = request.path.split(separator: "?").first.map(String.init) ?? request.path
            switch path {
            case "/v1/environments/me":
                guard keyStatus == 200 else { return FakeResponse(status: keyStatus, json: ["message": "API Key not found"]) }
                return FakeResponse(status: 200, json: ["data": ["_id": "env-dev-1", "name": "Development", "identifier": "dev"]])
            case "/v2/subscribers" where request.method == "GET":
                guard v2 else {
                    return FakeResponse(
                        status: 404,
                        json: ["statusCode": 404, "message": "Cannot GET /v2/subscribers", "error": "Not Found"]
                    )
                }
                return FakeResponse(status: 200, json: ["data": [], "next": nil])
            case "/v2/outbound-webhooks/portal/token":
                return FakeNovuWebhooks.portalToken
            default:
                return activity.respond(request)
            }
        }
        return (fakes, activity)
    }

    static func doctor(
        _ fakes: FakeNovuWebhooks,
        dataDir: String,
        extra: [String: String] = [:]
    ) async throws -> (status: Int32, output: String, errors: String) {
        var environment = fakes.environment
        environment["BRIDGE_DATA_DIR"] = dataDir
        environment["NOVU_WEBHOOK_SECRET"] = FakeNovuWebhooks.signingSecret
        environment.merge(extra) { _, new in new }
        return try await BridgeProcess.run(["doctor", "--url", url], environment: environment)
    }

    @Test("emails sent but none delivered, triggers but no webhook, failed deliveries: warnings, exit 1")
    func warnings() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (fakes, activity) = try await Self.start()
        defer { fakes.stop() }
        let segment = try await FakeServer.start { _ in segmentAccepted }
        defer { segment.stop() }
        // A real serve: a trigger Novu acknowledges, and (the poller on beside the webhook secret) its
        // email reported sent, never delivered or opened; no webhook ever arrives.
        var environment = fakes.environment
        environment.merge([
            "SEGMENT_WRITE_KEY": "segment-key", "SEGMENT_API_URL": segment.baseURL, "NOVU_WEBHOOK_SECRET": FakeNovuWebhooks.signingSecret,
            "NOVU_POLL": "on", "NOVU_POLL_INTERVAL": "100ms",
        ]) { _, new in new }
        let bridge = try BridgeProcess(dataDir: dir.path, environment: environment)
        let client = CurlHTTPClient(threads: 1)
        #expect(
            try await SegmentPort.post(try await bridge.port("segment"), SegmentPort.trigger("doc-1", user: "ada"), client: client) == 200
        )
        let batch = try #require(try await segment.waitForRequests(1).first)
        #expect(batch.json["batch"]?.arrayValue?.first?["event"] == "Email Sent")
        #expect(activity.transactions.count == 1)
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)

        let result = try await Self.doctor(fakes, dataDir: dir.path, extra: ["NOVU_POLL": "on"])
        #expect(result.status == 1, "\(result.output)\(result.errors)")
        let lines = result.output.split(separator: "\n").map(String.init)
        func line(_ check: String) -> [String] { lines.filter { $0.contains(check) } }
        #expect(line("novu key").first?.hasPrefix("ok") == true)
        #expect(line("novu key").first?.contains("Development environment (env-dev-1)") == true)
        #expect(line("environment").contains { $0.hasPrefix("ok") })
        #expect(line("email tracking").first?.contains("enable Email Activity Tracking") == true)
        #expect(line("webhook traffic").first?.contains("no webhook has arrived for 24 h") == true)
        #expect(line("webhook").contains { $0.contains("1 recent deliveries to \(Self.url) failed") })
        #expect(line("poller").contains { $0.hasPrefix("ok") && $0.contains("1 transactions followed") })
        #expect(!result.output.contains(FakeNovuWebhooks.apiKey))
        #expect(!result.output.contains(FakeNovuWebhooks.token))
        #expect(!result.output.contains(FakeNovuWebhooks.signingSecret))
    }

    @Test("Novu refusing the key is an error, exit 2; a self-hosted Novu without v2 routes is named")
    func errors() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (refusing, _) = try await Self.start(keyStatus: 401)
        defer { refusing.stop() }
        let refused = try await Self.doctor(refusing, dataDir: dir.path)
        #expect(refused.status == 2)
        #expect(refused.output.contains("Novu refused NOVU_API_KEY (401)"))
        #expect(refused.output.contains("no store at"))
        #expect(!refused.output.contains(FakeNovuWebhooks.apiKey))

        let (selfHosted, _) = try await Self.start(v2: false)
        defer { selfHosted.stop() }
        let v1 = try await Self.doctor(selfHosted, dataDir: dir.path, extra: ["BRIDGE_ENVIRONMENT": "production"])
        #expect(v1.output.contains("no v2 subscriber and topic routes"))
        #expect(v1.output.contains("BRIDGE_ENVIRONMENT is production but NOVU_API_KEY belongs to Novu's Development environment"))
    }
}
