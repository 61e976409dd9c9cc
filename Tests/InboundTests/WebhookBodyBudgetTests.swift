import Delivery
import Foundation
import Hummingbird
import TestSupport
import Testing

@testable import Inbound

/// The novu port bounds the webhook bodies it holds at once, as the segment port does.
@Suite("Webhook bodies in flight")
struct WebhookBodyBudgetTests {
    @Test("while a slow client's body holds the budget, webhooks get 503; once it ends they are taken")
    func busyWhileHeld() async throws {
        var configuration = NovuIngest.Configuration(signature: try SvixSignature(secrets: []), acceptUnsigned: true)
        configuration.bodyLimit = 1000
        configuration.bodiesInFlightLimit = 1000
        let webhook: JSONValue = ["id": "evt_1", "type": "workflow.updated", "data": ["object": ["_id": "w1"]]]
        try await checkBusyWhileHeld(path: "/webhooks/novu", budget: 1000, body: webhook.encoded()) { intake, router in
            let ingest = NovuIngest(configuration: configuration, names: FeedbackNames(), intake: intake, logger: quietLogger("budget"))
            let routes = NovuRoutes(ingest: ingest)
            routes.register(on: router)
            return { routes.bodies.reserved }
        }
    }

    @Test("a request its headers condemn is refused before its body is read, so it holds none of the budget")
    func refusedBeforeBody() async throws {
        let secret = "whsec_" + Data((0..<24).map { UInt8($0) }).base64EncodedString()
        var configuration = NovuIngest.Configuration(signature: try SvixSignature(secrets: [secret]))
        configuration.bodyLimit = 1000
        configuration.bodiesInFlightLimit = 1000
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let intake = Intake(store: try SQLiteStore(directory: dir.path))
        let routes = NovuRoutes(
            ingest: NovuIngest(configuration: configuration, names: FeedbackNames(), intake: intake, logger: quietLogger("budget"))
        )
        let router = Router()
        routes.register(on: router)
        let server = try await RunningServer.start(router: router)
        defer { server.stop() }
        // Signature headers that pass the checks a body is not needed for: this body holds the whole budget.
        let timestamp = Int(Date().timeIntervalSince1970)
        let slow = try RawConnection.open(
            server.port,
            sending: "POST /webhooks/novu HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"
                + "svix-id: msg_1\r\nsvix-timestamp: \(timestamp)\r\nsvix-signature: v1,AAAA\r\n\r\n{  "
        )
        defer { close(slow) }
        try await waitUntil("the slow body holds the budget") { routes.bodies.reserved == 1000 }
        let client = CurlHTTPClient(threads: 1)
        func post(_ headers: [(String, String)]) async throws -> HTTPClientResponse {
            try await client.execute(
                HTTPClientRequest(
                    method: "POST",
                    url: server.baseURL + "/webhooks/novu",
                    headers: [("Content-Type", "application/json")] + headers,
                    body: Data(#"{"type":"message.sent"}"#.utf8)
                )
            )
        }
        // Before the fix both waited for the budget like any webhook: 503, which senders retry forever.
        let unsigned = try await post([])
        #expect(unsigned.status == 401)
        #expect(String(decoding: unsigned.body, as: UTF8.self).contains("webhook-signature headers are required"))
        let stale = try await post([("svix-id", "msg_2"), ("svix-timestamp", "\(timestamp - 3600)"), ("svix-signature", "v1,AAAA")])
        #expect(stale.status == 401)
        // A request whose headers pass still needs its body to be judged: it waits for the budget.
        let signedLooking = try await post([("svix-id", "msg_3"), ("svix-timestamp", "\(timestamp)"), ("svix-signature", "v1,AAAA")])
        #expect(signedLooking.status == 503)
        #expect(routes.bodies.reserved == 1000)
    }
}
