import Delivery
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The novu port's webhook route (DESIGN §4). Status codes are decided here and in `NovuIngest.Answer`.
public struct NovuRoutes: Sendable {
    let ingest: NovuIngest
    let bodies: BodyBudget

    public init(ingest: NovuIngest) {
        self.ingest = ingest
        self.bodies = BodyBudget(capacity: max(ingest.configuration.bodiesInFlightLimit, ingest.configuration.bodyLimit))
    }

    /// Adds `POST /webhooks/novu` to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.post("/webhooks/novu") { request, _ in await handle(request) }
    }

    func handle(_ request: Request) async -> Response {
        let headers = NovuIngest.Headers(
            id: header(request, "webhook-id") ?? header(request, "svix-id"),
            timestamp: header(request, "webhook-timestamp") ?? header(request, "svix-timestamp"),
            signature: header(request, "webhook-signature") ?? header(request, "svix-signature")
        )
        // Before the body is read: the port is public, and a request that cannot be signed must not hold
        // any of the budget the webhooks Novu sends need.
        if let refused = ingest.refusal(headers: headers) { return Self.response(refused) }
        let limit = ingest.configuration.bodyLimit
        let need = BodyBudget.need(contentLength: request.headers[.contentLength], compressed: false, limit: limit)
        guard bodies.reserve(need) else {
            return Self.response(.error(503, "ServerBusy", "too many request bodies in flight; retry later"))
        }
        defer { bodies.release(need) }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            return Self.response(.error(413, "PayloadTooLarge", "the body is larger than \(limit) bytes"))
        }
        return Self.response(await ingest.handle(body: Array(buffer.readableBytesView), headers: headers))
    }

    private func header(_ request: Request, _ name: String) -> String? {
        HTTPField.Name(name).flatMap { request.headers[$0] }
    }

    static func response(_ answer: NovuIngest.Answer) -> Response {
        Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body.encodedBytes()))
        )
    }
}
