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
}
