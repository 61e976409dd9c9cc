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
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        var configuration = NovuIngest.Configuration(signature: try SvixSignature(secrets: []), acceptUnsigned: true)
        configuration.bodyLimit = 1000
        configuration.bodiesInFlightLimit = 1000
        let ingest = NovuIngest(
            configuration: configuration,
            names: FeedbackNames(),
            intake: Intake(store: store),
            logger: quietLogger("budget")
        )
        let router = Router()
        let routes = NovuRoutes(ingest: ingest)
        routes.register(on: router)
        let server = try await RunningServer.start(router: router)
        defer { server.stop() }
        let webhook: JSONValue = ["id": "evt_1", "type": "workflow.updated", "data": ["object": ["_id": "w1"]]]
        try await checkBusyWhileHeld(server: server, path: "/webhooks/novu", budget: 1000, body: webhook.encoded()) {
            routes.bodies.reserved
        }
    }
}
