import Delivery
import Foundation

/// One Novu API call, as queued: the job payload of the `novu` destination.
public struct NovuCall: Sendable, Equatable {
    /// What the call does; decides how the answer is judged.
    public enum Operation: String, Sendable {
        case trigger
        case subscriberUpsert = "subscriber.upsert"
        case topicSubscribe = "topic.subscribe"
        case subscriberDelete = "subscriber.delete"
    }

    public var operation: Operation
    public var method: String
    /// Path below the API base, percent-encoded (`/v1/events/trigger`).
    public var path: String
    /// The JSON body; `nil` for none.
    public var body: JSONValue?
    /// `seg-…`: the trigger's `transactionId` and the base of every attempt's `Idempotency-Key`.
    public var transactionId: String

    public init(operation: Operation, method: String, path: String, body: JSONValue?, transactionId: String) {
        self.operation = operation
        self.method = method
        self.path = path
        self.body = body
        self.transactionId = transactionId
    }

    /// The job payload: `{"operation","method","path","body"?,"transactionId"}`. Written and read with the
    /// bridge's own JSON reader and writer, not `Codable`: the relay reads one per job sent.
    public func encoded() -> Data {
        var fields: [String: JSONValue] = [
            "operation": .string(operation.rawValue), "method": .string(method), "path": .string(path),
            "transactionId": .string(transactionId),
        ]
        if let body { fields["body"] = body }
        return JSONValue.object(fields).encoded()
    }

    /// Reads a job payload.
    public static func decode(_ payload: Data) throws -> NovuCall {
        let json = try JSONValue.parse(payload)
        guard let operation = json["operation"]?.stringValue.flatMap(Operation.init(rawValue:)),
            let method = json["method"]?.stringValue, let path = json["path"]?.stringValue,
            let transactionId = json["transactionId"]?.stringValue
        else { throw PayloadError() }
        return NovuCall(operation: operation, method: method, path: path, body: json["body"], transactionId: transactionId)
    }

    /// A job payload this version cannot read.
    public struct PayloadError: Error {}

    /// Percent-encodes one path segment (a subscriber id, a topic key).
    public static func pathSegment(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
