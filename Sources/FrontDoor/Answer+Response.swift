import Delivery
import HTTPTypes
import Hummingbird
import NIOCore

extension IngestAnswer {
    /// The HTTP response: the status, and the body as JSON.
    public var response: Response {
        Response(
            status: HTTPResponse.Status(code: status),
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.encodedBytes()))
        )
    }
}
