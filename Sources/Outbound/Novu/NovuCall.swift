import Delivery
import Foundation

/// One Novu API call, as queued: the job payload of the `novu` destination.
public struct NovuCall: Sendable, Equatable, Codable {
    /// What the call does; decides how the answer is judged.
    public enum Operation: String, Sendable, Codable {
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

    /// The job payload.
    public func encoded() -> Data {
        // Encoding plain Codable values with JSONEncoder does not fail.
        (try? JSONEncoder().encode(self)) ?? Data()
    }

    /// Reads a job payload.
    public static func decode(_ payload: Data) throws -> NovuCall {
        try JSONDecoder().decode(NovuCall.self, from: payload)
    }

    /// Percent-encodes one path segment (a subscriber id, a topic key).
    public static func pathSegment(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
