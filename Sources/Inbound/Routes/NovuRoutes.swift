import Delivery
import Foundation
import FrontDoor
import HTTPTypes
import Hummingbird
import NIOCore

/// The novu port's webhook route (DESIGN §4). Status codes are decided here, at the front door, and in
/// `NovuIngest.Answer`.
package struct NovuRoutes: Sendable {
    let ingest: NovuIngest
    let door: FrontDoor

    package init(ingest: NovuIngest) {
        self.ingest = ingest
        let configuration = ingest.configuration
        var gate = Gate(
            // With no secret and unsigned webhooks not accepted, nothing gets in at all.
            authenticated: configuration.signature.isConfigured || !configuration.acceptUnsigned,
            protectedHint: "NOVU_WEBHOOK_SECRET",
            requirements: [.check { headers in ingest.refusal(headers: Self.webhookHeaders(headers)) }]
        )
        gate.allowUnauthenticated = configuration.allowUnauthenticated
        gate.notConfigured = configuration.notConfigured
        door = FrontDoor(
            gate: gate,
            body: BodyReader(
                limit: configuration.bodyLimit,
                capacity: configuration.bodiesInFlightLimit,
                timeout: configuration.bodyTimeout
            )
        )
    }

    /// Adds `POST /webhooks/novu` to `router`.
    package func register<Context: PeerRequestContext>(on router: Router<Context>) {
        router.post("/webhooks/novu") { request, context in await handle(request, context) }
    }

    func handle(_ request: Request, _ context: some PeerRequestContext) async -> Response {
        // Before the body is read: the port is public, and a request that cannot be signed must not hold
        // any of the budget the webhooks Novu sends need.
        await door.enter(request, context: context) { body in
            await ingest.handle(body: body, headers: Self.webhookHeaders(request.headers))
        }.response
    }

    /// The Standard Webhooks headers, or their `svix-` twins.
    static func webhookHeaders(_ headers: HTTPFields) -> NovuIngest.Headers {
        NovuIngest.Headers(
            id: headers[Names.id] ?? headers[Names.svixId],
            timestamp: headers[Names.timestamp] ?? headers[Names.svixTimestamp],
            signature: headers[Names.signature] ?? headers[Names.svixSignature]
        )
    }

    /// The headers' names, checked once: making a name from a string validates and lowercases it.
    private enum Names {
        static let id = HTTPField.Name("webhook-id")!
        static let timestamp = HTTPField.Name("webhook-timestamp")!
        static let signature = HTTPField.Name("webhook-signature")!
        static let svixId = HTTPField.Name("svix-id")!
        static let svixTimestamp = HTTPField.Name("svix-timestamp")!
        static let svixSignature = HTTPField.Name("svix-signature")!
    }
}
