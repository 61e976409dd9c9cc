import Delivery
import Foundation
import FrontDoor
import Hummingbird
import JSON
import TestSupport
import Testing

@testable import Inbound

/// The novu port bounds the webhook bodies it holds at once, and the time they take, as the segment
/// port does: both use the same front door.
@Suite("Webhook bodies in flight")
struct WebhookBodyBudgetTests {
    /// Adds the webhook route, served with `configuration`, to a test server; returns what it holds.
    func routes(_ configuration: NovuIngest.Configuration) -> (Intake, Router<BridgeRequestContext>) -> @Sendable () -> Int {
        { intake, router in
            let ingest = NovuIngest(configuration: configuration, names: FeedbackNames(), intake: intake, logger: quietLogger("budget"))
            let routes = NovuRoutes(ingest: ingest)
            routes.register(on: router)
            return { routes.door.body.budget.held }
        }
    }

    @Test("bytes that did arrive are held: past the budget webhooks get 503, until the slow body ends")
    func busyWhileHeld() async throws {
        var configuration = NovuIngest.Configuration(signature: try SvixSignature(secrets: []), acceptUnsigned: true)
        configuration.bodyLimit = 1000
        configuration.bodiesInFlightLimit = 1000
        let webhook: JSONValue = ["id": "evt_1", "type": "workflow.updated", "data": ["object": ["_id": "w1"]]]
        try await withSlowBody(path: "/webhooks/novu", announced: 990, sent: 980, clients: 2, register: routes(configuration)) {
            post,
            slow,
            held async throws in
            #expect(try await post([], webhook.encoded()).status == 503)
            for client in slow { RawConnection.send(client, String(repeating: " ", count: 10)) }
            try await waitUntil("webhooks are taken again") { held() == 0 }
            #expect(try await post([], webhook.encoded()).status == 200)
        }
    }

    @Test("a webhook body late past BRIDGE_BODY_TIMEOUT gets 408 and its connection is closed")
    func lateBody() async throws {
        var configuration = NovuIngest.Configuration(signature: try SvixSignature(secrets: []), acceptUnsigned: true)
        configuration.bodyTimeout = .milliseconds(300)
        try await withSlowBody(path: "/webhooks/novu", announced: 5000, sent: 10, register: routes(configuration)) {
            _,
            slow,
            held async throws in
            let (answer, closed) = await RawConnection.readUntilClosed(slow[0], timeout: .seconds(5))
            #expect(answer.hasPrefix("HTTP/1.1 408"))
            #expect(closed)
            #expect(held() == 0)
        }
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
        // Signature headers that pass the checks a body is not needed for: this body holds nearly all the budget.
        let held = svix("msg_1", timestamp).map { "\($0.0): \($0.1)\r\n" }.joined()
        try await withSlowBody(
            path: "/webhooks/novu",
            announced: 1000,
            sent: 995,
            clients: 2,
            headers: held,
            register: routes(configuration)
        ) {
            post,
            _,
            _ async throws in
            let body = Data(#"{"type":"message.sent"}"#.utf8)
            let unsigned = try await post([], body)
            #expect(unsigned.status == 401)
            #expect(String(decoding: unsigned.body, as: UTF8.self).contains("webhook-signature headers are required"))
            #expect(try await post(svix("msg_2", timestamp - 3600), body).status == 401)
            // A request whose headers pass still needs its body to be judged: it needs budget for it.
            #expect(try await post(svix("msg_3", timestamp), body).status == 503)
        }
    }
}
