import CompressNIO
import Delivery
import Hummingbird
import NIOCore

/// Reads a request body within the port's bounds: its size, the bytes all bodies in flight may hold, and
/// the time it may take to arrive.
public struct BodyReader: Sendable {
    /// The most bytes a body may have, on the wire and once decompressed.
    public let limit: Int
    /// Shared by every request of the port.
    public let budget: BodyBudget
    /// How long a body may take to arrive completely (`BRIDGE_BODY_TIMEOUT`).
    public var timeout: Duration { deadlines.timeout }
    private let deadlines: BodyDeadlines

    /// `capacity` is raised to `limit` when smaller: a request alone may always take its whole limit.
    public init(limit: Int, capacity: Int, timeout: Duration) {
        self.limit = limit
        self.budget = BodyBudget(capacity: max(capacity, limit))
        self.deadlines = BodyDeadlines(timeout: timeout)
    }

    /// The body's bytes, or the answer that refuses it. Budget is held only while this runs: what the
    /// pipeline keeps afterwards is bounded by the requests the store's group commit is serving.
    ///
    /// A body late past `timeout` is refused `408` and its connection closes after the answer (see
    /// `BodyDeadlines`). A body over `limit`, or one whose next chunk would pass the port's budget, is
    /// refused at once.
    public func read(_ request: Request, context: some PeerRequestContext) async -> Entry {
        var held = 0
        defer { budget.give(held) }
        let deadline = context.connection.map { deadlines.start(on: $0) }
        defer { deadline.map(deadlines.finish) }
        var buffer = ByteBuffer()
        do {
            for try await chunk in request.body {
                guard buffer.readableBytes + chunk.readableBytes <= limit else { return .refused(Self.tooLarge(limit)) }
                guard budget.take(chunk.readableBytes) else { return .refused(Self.busy) }
                held += chunk.readableBytes
                buffer.writeImmutableBuffer(chunk)
            }
        } catch {
            if deadline?.hasExpired == true { return .refused(Self.late(timeout)) }
            return .refused(.error(400, "InvalidBody", "the body ended before its announced length"))
        }
        return decompress(Array(buffer.readableBytesView), encoding: request.headers[.contentEncoding])
    }

    /// `gzip` and `deflate` bodies (SDKs send them) inflated up to `limit`; nothing inflates further.
    func decompress(_ bytes: [UInt8], encoding: String?) -> Entry {
        guard let encoding = encoding?.lowercased(), encoding != "identity" else { return .admitted(bytes) }
        guard encoding == "gzip" || encoding == "deflate" else {
            return .refused(.error(415, "UnsupportedMediaType", "Content-Encoding must be gzip or deflate"))
        }
        var buffer = ByteBuffer(bytes: bytes)
        do {
            buffer = try buffer.decompress(with: encoding == "gzip" ? .gzip() : .deflate(), maxSize: limit)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            return .refused(Self.tooLarge(limit))
        } catch {
            return .refused(.error(400, "InvalidBody", "the body is not valid \(encoding) data"))
        }
        return .admitted(Array(buffer.readableBytesView))
    }

    static func tooLarge(_ limit: Int) -> IngestAnswer {
        .error(413, "PayloadTooLarge", "the body is larger than \(limit) bytes")
    }

    static let busy = IngestAnswer.error(503, "ServerBusy", "too many request bodies in flight; retry later")

    static func late(_ timeout: Duration) -> IngestAnswer {
        .error(408, "RequestTimeout", "the body did not arrive within \(Int(timeout / .milliseconds(1))) ms (BRIDGE_BODY_TIMEOUT)")
    }
}
