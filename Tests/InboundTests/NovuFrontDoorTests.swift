import Delivery
import Foundation
import FrontDoor
import Hummingbird
import JSON
import TestSupport
import Testing

@testable import Inbound

/// The novu port's front door: protected mode for unsigned webhooks, and events Segment could never take.
@Suite("Novu port, front door")
struct NovuFrontDoorTests {
    @Test("unsigned webhooks accepted (no secret): from another machine they get 403 ProtectedMode, nothing queued")
    func protectedMode() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let ingest = NovuIngest(
            configuration: .init(signature: try SvixSignature(secrets: []), acceptUnsigned: true),
            names: FeedbackNames(),
            intake: Intake(store: store),
            logger: quietLogger("novu-protected")
        )
        let router = Router(context: RemotePeerContext.self)
        NovuRoutes(ingest: ingest).register(on: router)
        let server = try await RunningServer.start(router: router)
        defer { server.stop() }
        let response = try await CurlHTTPClient(threads: 1).execute(
            HTTPClientRequest(
                method: "POST",
                url: server.baseURL + "/webhooks/novu",
                headers: [("Content-Type", "application/json")],
                body: messageWebhook(type: "message.sent", channel: "email").encoded()
            )
        )
        #expect(response.status == 403)
        #expect(String(decoding: response.body, as: UTF8.self).contains("NOVU_WEBHOOK_SECRET"))
        #expect(try await store.stateCounts().isEmpty)
    }

    @Test("a webhook whose Segment event would pass Segment's 32 KB is refused 413, not acknowledged")
    func eventTooLarge() async throws {
        let harness = try await InboundHarness()
        defer { harness.stop() }
        var webhook = messageWebhook(type: "message.failed", channel: "email")
        guard case .object(var fields) = webhook, case .object(var data)? = fields["data"] else {
            Issue.record("the webhook is not an object")
            return
        }
        data["error"] = ["message": .string(String(repeating: "e", count: 40 * 1024))]
        fields["data"] = .object(data)
        webhook = .object(fields)
        let answer = try await harness.post(json: webhook)
        #expect(answer.status == 413)
        #expect(answer.json["error"] == "EventTooLarge")
        #expect(try await harness.store.stateCounts().isEmpty)
    }
}
