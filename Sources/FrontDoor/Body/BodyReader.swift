import CompressNIO
import Delivery
import Hummingbird
import NIOCore

/// Reads a request body within the port's bounds: its size, the bytes all bodies in flight may hold, and
/// the time it may take to arrive.
package struct BodyReader: Sendable {
    /// The most bytes a body may have, on the wire and once decompressed.
    package let limit: Int
    /// Shared by every request of the port.
    package let budget: BodyBudget
    /// How long a body may take to arrive completely (`BRIDGE_BODY_TIMEOUT`).
    package var timeout: Duration { deadlines.timeout }
    private let deadlines: BodyDeadlines

    /// `capacity` is raised to twice `limit` when smaller: a request alone may always take its whole limit,
    /// on the wire and once inflated.
    package init(limit: Int, capacity: Int, timeout: Duration) {
        self.limit = limit
        self.budget = BodyBudget(capacity: max(capacity, 2 * limit))
        self.deadlines = BodyDeadlines(timeout: timeout)
    }

    /// `handle`'s answer to the body, or the answer that refuses it. The body's bytes, as received and
    /// once inflated, count against the port's budget until `handle` returns: a small compressed body
    /// takes budget for all it inflates to.
    ///
    /// A body late past `timeout` is refused `408` and its connection closes after the answer (see
    /// `BodyDeadlines`). A body over `limit`, or one whose next bytes would pass the port's budget, is
    /// refused at once.
    package func read(
        _ request: Request,
        context: some PeerRequestContext,
        _ handle: ([UInt8]) async -> IngestAnswer
    ) async -> IngestAnswer {
        var held = 0
        defer { budget.give(held) }
        // The body's clock, until it is stopped: when the body is in, or on any early answer.
        var clock = context.connection.map { deadlines.start(on: $0) }
        func stopClock() -> Bool {
            defer { clock = nil }
            return clock.map(deadlines.stop) ?? false
        }
        defer { _ = stopClock() }
        var buffer = ByteBuffer()
        do {
            for try await chunk in request.body {
                guard buffer.readableBytes + chunk.readableBytes <= limit else { return Self.tooLarge(limit) }
                guard budget.take(chunk.readableBytes) else { return Self.busy }
                held += chunk.readableBytes
                buffer.writeImmutableBuffer(chunk)
            }
        } catch {
            // The sweep ended this body's stream if its clock was already gone.
            if stopClock() { return Self.late(timeout) }
            return .error(400, "InvalidBody", "the body ended before its announced length")
        }
        _ = stopClock()
        guard let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity" else {
            return await handle(Array(buffer.readableBytesView))
        }
        let inflated: ByteBuffer
        switch inflate(buffer, encoding: encoding) {
        case .success(let bytes): inflated = bytes
        case .failure(let refusal): return refusal.answer
        }
        guard budget.take(inflated.readableBytes) else { return Self.busy }
        held += inflated.readableBytes
        return await handle(Array(inflated.readableBytesView))
    }

    struct Refusal: Error {
        var answer: IngestAnswer
    }

    /// A `gzip` or `deflate` body (SDKs send them) inflated up to `limit`; nothing inflates further.
    func inflate(_ buffer: ByteBuffer, encoding: String) -> Result<ByteBuffer, Refusal> {
        guard encoding == "gzip" || encoding == "deflate" else {
            return .failure(Refusal(answer: Self.unsupportedEncoding))
        }
        var buffer = buffer
        do {
            return .success(try buffer.decompress(with: encoding == "gzip" ? .gzip() : .deflate(), maxSize: limit))
        } catch let error as CompressNIOError where error == .bufferOverflow {
            return .failure(Refusal(answer: Self.tooLarge(limit)))
        } catch {
            return .failure(Refusal(answer: .error(400, "InvalidBody", "the body is not valid \(encoding) data")))
        }
    }

    /// A `Content-Encoding` other than the ones the reader inflates, refused from the header alone.
    package static func encodingRefusal(_ encoding: String?) -> IngestAnswer? {
        guard let encoding = encoding?.lowercased(), !["identity", "gzip", "deflate"].contains(encoding) else { return nil }
        return unsupportedEncoding
    }

    static let unsupportedEncoding = IngestAnswer.error(415, "UnsupportedMediaType", "Content-Encoding must be gzip or deflate")

    static func tooLarge(_ limit: Int) -> IngestAnswer {
        .error(413, "PayloadTooLarge", "the body is larger than \(limit) bytes")
    }

    static let busy = IngestAnswer.error(503, "ServerBusy", "too many request bodies in flight; retry later")

    static func late(_ timeout: Duration) -> IngestAnswer {
        .error(408, "RequestTimeout", "the body did not arrive within \(Int(timeout / .milliseconds(1))) ms (BRIDGE_BODY_TIMEOUT)")
    }
}
