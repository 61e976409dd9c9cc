import Delivery
import Foundation
import Inbound
import JSON
import MappingFiles
import TestSupport
import Testing

@testable import bridge

/// A rule's Novu `context` through the whole bridge, in process: the mapping file, the segment port,
/// the store, the relay and libcurl to a fake Novu, then Novu's webhook back through the novu port to a
/// fake Segment.
@Suite("Trigger context, end to end")
struct ContextLoopTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    @Test("a track with a context rule triggers Novu with context; the webhook for it reaches Segment with it")
    func contextRoundTrip() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let novu = try await FakeServer.start { _ in novuProcessed }
        defer { novu.stop() }
        let segment = try await FakeServer.start { _ in segmentAccepted }
        defer { segment.stop() }
        let mapping = try MappingFile.parse(
            """
            fallback: ignore
            rules:
              - event: Order Shipped
                workflow: order-shipped
                context:
                  tenant: acme
                  workspace: {path: properties.workspaceId}
                  team: {path: properties.team}
            """,
            path: "mapping.yaml"
        )
        var configuration = BridgeConfiguration()
        configuration.novuAPIKey = "novu-key"
        configuration.novuAPIURL = novu.baseURL
        configuration.segmentWriteKey = "segment-key"
        configuration.segmentAPIURL = segment.baseURL
        configuration.novuWebhookSecrets = [Self.secret]
        configuration.host = "127.0.0.1"
        configuration.segmentPort = 0
        configuration.novuPort = 0
        configuration.dataDir = dir.path
        let lock = DataDirectoryLockHolder(directory: dir.path)
        defer { lock.release() }
        let bridge = try Bridge(configuration: configuration, mapping: mapping, lock: lock, logger: quietLogger("context-loop"))
        // As `serve` does: the store is opened before the ports take events.
        _ = try await bridge.store.current()
        let running = Task { try await bridge.run(signals: []) }
        defer { running.cancel() }
        try await waitUntil("both ports listen") { bridge.boundPorts.port("segment") != nil && bridge.boundPorts.port("novu") != nil }
        let client = CurlHTTPClient(threads: 2)

        let track: JSONValue = [
            "type": "track", "event": "Order Shipped", "messageId": "ctx-1", "userId": "u1",
            "properties": ["workspaceId": "ws-9", "orderId": "o-1"],
        ]
        let posted = try await client.execute(
            HTTPClientRequest(
                method: "POST",
                url: "http://127.0.0.1:\(bridge.boundPorts.port("segment")!)/",
                headers: [("Content-Type", "application/json")],
                body: track.encoded()
            )
        )
        #expect(posted.status == 200, "\(String(decoding: posted.body, as: UTF8.self))")
        let trigger = try #require(try await novu.waitForRequests(1).first)
        #expect(trigger.path == "/v1/events/trigger")
        // `team` resolved to nothing and is left out.
        #expect(trigger.json["context"] == ["tenant": "acme", "workspace": "ws-9"])
        let transactionId = try #require(trigger.json["transactionId"]?.stringValue)

        let webhook = messageWebhook(transactionId: transactionId)
        let body = webhook.encoded()
        let port = try #require(bridge.boundPorts.port("novu"))
        let delivered = try await NovuPort.postSigned(port, body, secret: Self.secret, id: "msg_ctx_1", client: client)
        #expect(delivered.status == 200)
        let sent = try #require(try await segment.waitForRequests(1).first)
        let event = try #require(sent.json["batch"]?.arrayValue?.first)
        #expect(event["event"] == "Email Delivered")
        #expect(event["properties"]?["context"] == ["tenant": "acme", "workspace": "ws-9"])
        #expect(event["properties"]?["trigger_event"] == "Order Shipped")
        #expect(event["properties"]?["trigger_message_id"] == "ctx-1")
        running.cancel()
        _ = await running.result
    }

    /// Novu's `message.delivered` for an email of `transactionId`.
    func messageWebhook(transactionId: String) -> JSONValue {
        [
            "id": "evt_ctx_1", "type": "message.delivered", "object": "message", "timestamp": "2026-12-06T15:00:05.000Z",
            "environmentId": "env-1",
            "data": [
                "object": [
                    "_id": "6748f0c1a2b3c4d5e6f7c001", "subscriberId": "u1", "workflowId": "order-shipped", "stepId": "email",
                    "transactionId": .string(transactionId), "channel": "email", "providerId": "sendgrid", "status": "sent",
                ]
            ],
        ]
    }
}
