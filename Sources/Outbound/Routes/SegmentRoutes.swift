import CompressNIO
import Delivery
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The segment port's routes (DESIGN §3). Turns HTTP into `SegmentIngest` calls and answers into HTTP;
/// status codes are decided here and in `SegmentIngest.Answer`, nowhere else.
public struct SegmentRoutes: Sendable {
    let ingest: SegmentIngest
    let bodyLimit: Int
    let bodies: BodyBudget

    public init(ingest: SegmentIngest) {
        self.ingest = ingest
        self.bodyLimit = ingest.configuration.bodyLimit
        self.bodies = BodyBudget(capacity: max(ingest.configuration.bodiesInFlightLimit, ingest.configuration.bodyLimit))
    }

    /// Adds the event routes to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.post("/") { request, _ in await handle(request, route: .webhook) }
        router.post("/segment") { request, _ in await handle(request, route: .webhook) }
        for type in ["track", "identify", "group", "alias", "page", "screen"] {
            router.post("/v1/\(type)") { request, _ in await handle(request, route: .single(type: type)) }
        }
        router.post("/v1/batch") { request, _ in await handle(request, route: .batch) }
        router.post("/v1/import") { request, _ in await handle(request, route: .batch) }
    }

    func handle(_ request: Request, route: SegmentIngest.Route) async -> Response {
        let refused = ingest.refusalBeforeBody(
            route: route,
            authorization: request.headers[.authorization],
            signature: request.headers[Self.signatureHeader]
        )
        if let refused {
            return Self.response(refused)
        }
        if let type = request.headers[.contentType], !Self.isJSONMediaType(type) {
            return Self.response(.error(415, "UnsupportedMediaType", "Content-Type must be application/json (or text/plain)"))
        }
        let need = BodyBudget.need(
            contentLength: request.headers[.contentLength],
            compressed: request.headers[.contentEncoding].map { $0.lowercased() != "identity" } ?? false,
            limit: bodyLimit
        )
        guard bodies.reserve(need) else {
            return Self.response(.error(503, "ServerBusy", "too many request bodies in flight; retry later"))
        }
        defer { bodies.release(need) }
        let body: [UInt8]
        switch await readBody(request) {
        case .bytes(let bytes): body = bytes
        case .refused(let answer): return Self.response(answer)
        }
        let answer = await ingest.handle(
            route: route,
            body: body,
            signature: request.headers[Self.signatureHeader],
            authorization: request.headers[.authorization]
        )
        return Self.response(answer)
    }

    private enum BodyRead {
        case bytes([UInt8])
        case refused(SegmentIngest.Answer)
    }

    private func readBody(_ request: Request) async -> BodyRead {
        var tooLarge: SegmentIngest.Answer {
            .error(413, "PayloadTooLarge", "the body is larger than \(bodyLimit) bytes")
        }
        var buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: bodyLimit)
        } catch {
            return .refused(tooLarge)
        }
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity" {
            guard encoding == "gzip" || encoding == "deflate" else {
                return .refused(.error(415, "UnsupportedMediaType", "Content-Encoding must be gzip or deflate"))
            }
            do {
                buffer = try buffer.decompress(with: encoding == "gzip" ? .gzip() : .deflate(), maxSize: bodyLimit)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                return .refused(tooLarge)
            } catch {
                return .refused(.error(400, "InvalidBody", "the body is not valid \(encoding) data"))
            }
        }
        return .bytes(Array(buffer.readableBytesView))
    }

    static let signatureHeader = HTTPField.Name("X-Signature")!

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

    static func response(_ answer: SegmentIngest.Answer) -> Response {
        Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body.encodedBytes()))
        )
    }
}
