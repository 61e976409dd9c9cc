import Delivery
import Foundation
import FrontDoor
import HTTPTypes
import Hummingbird
import NIOCore

/// The segment port's routes (DESIGN §3). Turns HTTP into `SegmentIngest` calls and answers into HTTP;
/// status codes are decided here, at the front door, and in `SegmentIngest.Answer`, nowhere else.
package struct SegmentRoutes: Sendable {
    let ingest: SegmentIngest
    /// Shared by every route of the port: the bytes all bodies in flight may hold.
    let bodies: BodyReader

    package init(ingest: SegmentIngest) {
        self.ingest = ingest
        let configuration = ingest.configuration
        self.bodies = BodyReader(
            limit: configuration.bodyLimit,
            capacity: configuration.bodiesInFlightLimit,
            timeout: configuration.bodyTimeout
        )
    }

    /// Adds the event routes to `router`.
    package func register<Context: PeerRequestContext>(on router: Router<Context>) {
        let webhook = FrontDoor(gate: ingest.gate(for: .webhook), body: bodies)
        router.post("/") { request, context in await handle(request, context, route: .webhook, door: webhook) }
        router.post("/segment") { request, context in await handle(request, context, route: .webhook, door: webhook) }
        for type in ["track", "identify", "group", "alias", "page", "screen"] {
            let route = SegmentIngest.Route.single(type: type)
            let door = FrontDoor(gate: ingest.gate(for: route), body: bodies)
            router.post("/v1/\(type)") { request, context in await handle(request, context, route: route, door: door) }
        }
        let batch = FrontDoor(gate: ingest.gate(for: .batch), body: bodies)
        router.post("/v1/batch") { request, context in await handle(request, context, route: .batch, door: batch) }
        router.post("/v1/import") { request, context in await handle(request, context, route: .batch, door: batch) }
    }

    func handle(_ request: Request, _ context: some PeerRequestContext, route: SegmentIngest.Route, door: FrontDoor) async -> Response {
        let answer = await door.enter(request, context: context) { body in
            await ingest.handle(
                route: route,
                body: body,
                signature: request.headers[SegmentIngest.signatureHeader],
                authorization: request.headers[.authorization]
            )
        }
        return answer.response
    }
}

extension SegmentIngest {
    /// JSON, or `text/plain`, which analytics.js sends to avoid a CORS preflight.
    static func isJSONMediaType(_ value: String) -> Bool {
        // On every request: compare bytes rather than build trimmed, lowercased strings.
        var utf8 = Substring(value).utf8
        if let semicolon = utf8.firstIndex(of: UInt8(ascii: ";")) { utf8 = utf8[..<semicolon] }
        while let first = utf8.first, first == 0x20 || first == 0x09 { utf8 = utf8.dropFirst() }
        while let last = utf8.last, last == 0x20 || last == 0x09 { utf8 = utf8.dropLast() }
        func `is`(_ expected: StaticString, suffix: Bool = false) -> Bool {
            let expected = UnsafeBufferPointer(start: expected.utf8Start, count: expected.utf8CodeUnitCount)
            guard suffix ? utf8.count >= expected.count : utf8.count == expected.count else { return false }
            return zip(utf8.suffix(expected.count), expected).allSatisfy { actual, wanted in
                (actual >= 0x41 && actual <= 0x5A ? actual | 0x20 : actual) == wanted
            }
        }
        return utf8.isEmpty || `is`("application/json") || `is`("+json", suffix: true) || `is`("text/plain")
    }
}
