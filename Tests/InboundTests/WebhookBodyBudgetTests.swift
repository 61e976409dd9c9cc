import Delivery
import Foundation
import Hummingbird
import TestSupport
import Testing

@testable import Inbound

/// The novu port bounds the webhook bodies it holds at once, as the segment port does.
@Suite("Webhook bodies in flight")
struct WebhookBodyBudgetTests {
    /// Adds the webhook route, served with `configuration`, to a test server; returns what it has reserved.
    func routes(_ configuration: NovuIngest.Configuration) -> (Intake, Router<BasicRequestContext>) -> @Sendable () -> Int {
        { intake, router in
            let ingest = NovuIngest(configuration: configuration, names: FeedbackNames(), intake: intake, logger: quietLogger("budget"))
            let routes = NovuRoutes(ingest: ingest)
            routes.register(on: router)
            return { routes.bodies.reserved }
        }
    }

    @Test("while a slow client's body holds the budget, webhooks get 503; once it ends they are taken")
    func busyWhileHeld() async throws {
        var configuration = NovuIngest.Configuration(signature: try SvixSignature(secrets: []), acceptUnsigned: true)
        configuration.bodyLimit = 1000
        configuration.bodiesInFlightLimit = 1000
        let webhook: JSONValue = ["id": "evt_1", "type": "workflow.updated", "data": ["object": ["_id": "w1"]]]
        try await checkBusyWhileHeld(path: "/webhooks/novu", budget: 1000, body: webhook.encoded(), register: routes(configuration))
    }

    @Test("a request its headers condemn is refused before its body is read, so it holds none of the budget")
    func refusedBeforeBody() async throws {
        let secret = "whsec_" + Data((0..<24).map { UInt8($0) }).base64EncodedString()
        var configuration = NovuIngest.Configuration(signature: try SvixSignature(secrets: [secret]))
        configuration.bodyLimit = 1000
        configuration.bodiesInFlightLimit = 1000
        let timestamp = Int(Date().timeIntervalSince1970)
        func svix(_ id: String, _ timestamp: Int) -> [(String, String)] {
            [("svix-id", id), ("svix-timestamp", "\(timestamp)"), ("svix-signature", "v1,AAAA")]
        }
        // Signature headers that pass the checks a body is not needed for: this body holds the whole budget.
        let held = svix("msg_1", timestamp).map { "\($0.0): \($0.1)\r\n" }.joined()
        try await withBudgetHeld(path: "/webhooks/novu", holding: 1000, headers: held, register: routes(configuration)) { post, _ in
            let body = Data(#"{"type":"message.sent"}"#.utf8)
            // Before the fix both waited for the budget like any webhook: 503, which senders retry forever.
            let unsigned = try await post([], body)
            #expect(unsigned.status == 401)
            #expect(String(decoding: unsigned.body, as: UTF8.self).contains("webhook-signature headers are required"))
            #expect(try await post(svix("msg_2", timestamp - 3600), body).status == 401)
            // A request whose headers pass still needs its body to be judged: it waits for the budget.
            #expect(try await post(svix("msg_3", timestamp), body).status == 503)
        }
    }
}
