import Delivery
import Foundation
import JSON

/// A Svix endpoint of Novu's webhook application, as `EndpointOut` describes it.
package struct SvixEndpoint: Sendable, Equatable {
    /// `ep_…`
    package var id: String
    package var url: String
    package var description: String
    /// The event filter; `nil`: every event type.
    package var eventTypes: [String]?
    /// Svix disables an endpoint that keeps failing; it then receives nothing until enabled again.
    package var disabled: Bool

    package init(id: String, url: String, description: String = "", eventTypes: [String]? = nil, disabled: Bool = false) {
        self.id = id
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
        self.disabled = disabled
    }

    /// Reads one `EndpointOut`; newer servers send the filter as `eventTypes` and `filterTypes`, older
    /// ones as `filterTypes` only.
    package init?(json: JSONValue) {
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
package struct SvixPage<Item: Sendable & Equatable>: Sendable, Equatable {
    package var items: [Item]
    package var iterator: String?
    package var done: Bool

    /// `nil` when the body is not a listing. An item that cannot be read is skipped.
    package init?(json: JSONValue, item: (JSONValue) -> Item?) {
        guard let data = json["data"]?.arrayValue else { return nil }
        items = data.compactMap(item)
        iterator = json["iterator"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        // A page without `done` and without an iterator cannot lead anywhere: the listing ends there.
        done = json["done"]?.boolValue ?? (iterator == nil)
    }

    /// The iterator to ask for next, or `nil` when this was the last page.
    package var next: String? { done ? nil : iterator }
}

/// A failed delivery attempt to the endpoint (`MessageAttemptOut` with status 2).
package struct FailedAttempt: Sendable, Equatable, Codable {
    package var messageId: String
    package var timestamp: String
    /// `0` when Svix got no HTTP answer (connection refused, timeout).
    package var responseStatusCode: Int
    /// The start of the endpoint's answer, control characters dropped.
    package var response: String

    package init(messageId: String, timestamp: String, responseStatusCode: Int, response: String) {
        self.messageId = messageId
        self.timestamp = timestamp
        self.responseStatusCode = responseStatusCode
        self.response = response
    }

    package init?(json: JSONValue) {
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
package struct EndpointSigningSecret: Sendable, Equatable, CustomStringConvertible {
    /// `whsec_…`
    package let key: String

    package init?(json: JSONValue) {
        guard let key = json["key"]?.stringValue, key.hasPrefix("whsec_") else { return nil }
        self.key = key
    }

    package var description: String { "whsec_[redacted]" }
}
