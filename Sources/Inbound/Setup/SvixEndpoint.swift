import Delivery
import Foundation

/// A Svix endpoint of Novu's webhook application, as `EndpointOut` describes it.
public struct SvixEndpoint: Sendable, Equatable {
    /// `ep_…`
    public var id: String
    public var url: String
    public var description: String
    /// The event filter; `nil`: every event type.
    public var eventTypes: [String]?
    /// Svix disables an endpoint that keeps failing; it then receives nothing until enabled again.
    public var disabled: Bool

    public init(id: String, url: String, description: String = "", eventTypes: [String]? = nil, disabled: Bool = false) {
        self.id = id
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
        self.disabled = disabled
    }

    /// Reads one `EndpointOut`; newer servers send the filter as `eventTypes` and `filterTypes`, older
    /// ones as `filterTypes` only.
    public init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, let url = json["url"]?.stringValue else { return nil }
        let filter = (json["eventTypes"]?.arrayValue ?? json["filterTypes"]?.arrayValue)?.compactMap(\.stringValue)
        self.init(
            id: id,
            url: url,
            description: json["description"]?.stringValue ?? "",
            eventTypes: filter.map { $0.sorted() },
            disabled: json["disabled"]?.boolValue ?? false
        )
    }
}

/// One page of a Svix listing (`ListResponse…Out`): items, the iterator of the next page, `done`.
public struct SvixPage<Item: Sendable & Equatable>: Sendable, Equatable {
    public var items: [Item]
    public var iterator: String?
    public var done: Bool

    /// `nil` when the body is not a listing. An item that cannot be read is skipped.
    public init?(json: JSONValue, item: (JSONValue) -> Item?) {
        guard let data = json["data"]?.arrayValue else { return nil }
        items = data.compactMap(item)
        iterator = json["iterator"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        // A page without `done` and without an iterator cannot lead anywhere: the listing ends there.
        done = json["done"]?.boolValue ?? (iterator == nil)
    }

    /// The iterator to ask for next, or `nil` when this was the last page.
    public var next: String? { done ? nil : iterator }
}

/// A failed delivery attempt to the endpoint (`MessageAttemptOut` with status 2).
public struct FailedAttempt: Sendable, Equatable, Codable {
    public var messageId: String
    public var timestamp: String
    /// `0` when Svix got no HTTP answer (connection refused, timeout).
    public var responseStatusCode: Int
    /// The start of the endpoint's answer, control characters dropped.
    public var response: String

    public init(messageId: String, timestamp: String, responseStatusCode: Int, response: String) {
        self.messageId = messageId
        self.timestamp = timestamp
        self.responseStatusCode = responseStatusCode
        self.response = response
    }

    public init?(json: JSONValue) {
        guard let message = json["msgId"]?.stringValue else { return nil }
        let code: Int = if case .int(let value)? = json["responseStatusCode"] { Int(value) } else { 0 }
        let body = json["response"]?.stringValue ?? ""
        self.init(
            messageId: message,
            timestamp: json["timestamp"]?.stringValue ?? "",
            responseStatusCode: code,
            response: AnswerReason.short(HTTPClientResponse(status: code, body: Data(body.utf8)))
        )
    }
}

/// An endpoint's signing secret. It never prints: its description is redacted, so a stray interpolation
/// into a message or a log line shows nothing of it.
public struct EndpointSigningSecret: Sendable, Equatable, CustomStringConvertible {
    /// `whsec_…`
    public let key: String

    public init?(json: JSONValue) {
        guard let key = json["key"]?.stringValue, key.hasPrefix("whsec_") else { return nil }
        self.key = key
    }

    public var description: String { "whsec_[redacted]" }
}
