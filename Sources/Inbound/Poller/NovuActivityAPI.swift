import Delivery
import Foundation
import JSON

/// The two reads of Novu's activity API the poller makes, as requests and parsed answers. Pure.
package struct NovuActivityAPI: Sendable {
    package var baseURL: String
    package var apiKey: String
    package var userAgent: String
    package var timeout: Duration

    package init(baseURL: String, apiKey: String, userAgent: String = "novu-segment-bridge", timeout: Duration = .seconds(30)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.userAgent = userAgent
        self.timeout = timeout
    }

    /// Messages a page; Novu answers at most 1000.
    package var pageLimit = 1000
    /// Novu's activity feed takes at most this many notifications a page.
    package static let feedLimit = 50

    /// `GET /v1/messages?transactionId=a&transactionId=b&limit=1000&page=N`: Novu reads a repeated
    /// `transactionId` as a list (`messages.controller.ts`), so one request covers many transactions.
    package func messages(transactionIds: [String], page: Int) -> HTTPClientRequest {
        let ids = transactionIds.map { "transactionId=" + Self.encode($0) }.joined(separator: "&")
        return request("/v1/messages?\(ids)&limit=\(pageLimit)&page=\(page)")
    }

    /// `GET /v1/notifications?transactionId=T&limit=50`: the activity feed, with each job's execution details.
    package func notifications(transactionId: String) -> HTTPClientRequest {
        request("/v1/notifications?transactionId=\(Self.encode(transactionId))&limit=\(Self.feedLimit)&page=0")
    }

    /// `GET /v1/environments/me`: the key's environment, whose `identifier` Novu's webhooks carry as
    /// their `environmentId` (a message has only the environment's internal `_id`).
    package func environment() -> HTTPClientRequest { request("/v1/environments/me") }

    /// The `identifier` in an answer to `environment()`.
    package static func environmentIdentifier(_ body: Data) -> String? {
        guard let json = try? JSONValue.parse(body) else { return nil }
        return (json["data"] ?? json)["identifier"]?.stringValue
    }

    private func request(_ path: String) -> HTTPClientRequest {
        HTTPClientRequest(
            method: "GET",
            url: baseURL + path,
            headers: [("Authorization", "ApiKey \(apiKey)"), ("Accept", "application/json"), ("User-Agent", userAgent)],
            timeout: timeout
        )
    }

    /// A page of either read: its `data` and whether more follow. `nil`: not a page.
    package static func page(_ body: Data) -> (data: [JSONValue], hasMore: Bool)? {
        guard let json = try? JSONValue.parse(body), let data = json["data"]?.arrayValue else { return nil }
        return (data, json["hasMore"]?.boolValue ?? false)
    }

    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
