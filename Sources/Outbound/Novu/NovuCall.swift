import Delivery
import Foundation
import JSON

/// One Novu API call, as queued: the job payload of the `novu` destination.
package struct NovuCall: Sendable, Equatable {
    /// What the call does; decides how the answer is judged.
    package enum Operation: String, Sendable {
        case trigger
        case subscriberUpsert = "subscriber.upsert"
        case topicSubscribe = "topic.subscribe"
        case subscriberDelete = "subscriber.delete"
    }

    package var operation: Operation
    package var method: String
    /// Path below the API base, percent-encoded (`/v1/events/trigger`).
    package var path: String
    /// The JSON body; `nil` for none.
    package var body: JSONValue?
    /// `seg-…`: the trigger's `transactionId` and the base of every attempt's `Idempotency-Key`.
    package var transactionId: String

    package init(operation: Operation, method: String, path: String, body: JSONValue?, transactionId: String) {
        self.operation = operation
        self.method = method
        self.path = path
        self.body = body
        self.transactionId = transactionId
    }

    /// The job payload: a one-line JSON header (`operation`, `method`, `path`, `transactionId`), a newline,
    /// then the request body exactly as it will be sent. The relay splices the body into requests as
    /// bytes, so a queued call is never parsed and re-encoded on its way out.
    package func encoded() -> Data {
        // Written field by field (keys in sorted order, as JSONWriter would): one per queued event.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128 + (body == nil ? 0 : 512))
        for (index, (key, value)) in [
            ("method", method), ("operation", operation.rawValue), ("path", path), ("transactionId", transactionId),
        ].enumerated() {
            bytes.append(index == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
            JSONWriter.writeString(key, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
            JSONWriter.writeString(value, into: &bytes)
        }
        bytes.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
        if let body { JSONWriter.write(body, into: &bytes) }
        return Data(bytes)
    }

    /// A queued call as the relay reads it: the header fields and the body's bytes.
    package struct Stored: Sendable, Equatable {
        package var operation: Operation
        package var method: String
        package var path: String
        package var transactionId: String
        /// The JSON body as queued; empty for none.
        package var body: Data

        package init(operation: Operation, method: String, path: String, transactionId: String, body: Data) {
            self.operation = operation
            self.method = method
            self.path = path
            self.transactionId = transactionId
            self.body = body
        }
    }

    /// Reads a job payload.
    package static func decode(_ payload: Data) throws -> Stored {
        // Over the raw bytes: Data's own index and slice operations cost more than the header's parse.
        try payload.withUnsafeBytes { raw -> Stored in
            guard let newline = raw.firstIndex(of: 0x0A) else { throw PayloadError() }
            let header = try JSONValue.parse(UnsafeRawBufferPointer(rebasing: raw[..<newline]))
            guard let operation = header["operation"]?.stringValue.flatMap(Operation.init(rawValue:)),
                let method = header["method"]?.stringValue, let path = header["path"]?.stringValue,
                let transactionId = header["transactionId"]?.stringValue
            else { throw PayloadError() }
            return Stored(
                operation: operation,
                method: method,
                path: path,
                transactionId: transactionId,
                body: Data(raw[(newline + 1)...])
            )
        }
    }

    /// A job payload this version cannot read.
    package struct PayloadError: Error {}

    /// Percent-encodes one path segment (a subscriber id, a topic key). A segment of dots alone is encoded
    /// too: libcurl resolves `.` and `..` in a path, so `DELETE /v2/subscribers/..` went out as
    /// `DELETE /v2/`, and Novu's 404 read as "already deleted".
    package static func pathSegment(_ value: String) -> String {
        if value == "." || value == ".." { return String(repeating: "%2E", count: value.count) }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
