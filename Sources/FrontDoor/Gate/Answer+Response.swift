import Delivery
import HTTPTypes
import Hummingbird
import JSON
import NIOCore

extension IngestAnswer {
    /// The HTTP response: the status, and the body as JSON.
    package var response: Response {
        Response(
            status: HTTPResponse.Status(code: status),
            headers: Self.jsonHeaders,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.encodedBytes()))
        )
    }

    private static let jsonHeaders: HTTPFields = [.contentType: "application/json"]
}
