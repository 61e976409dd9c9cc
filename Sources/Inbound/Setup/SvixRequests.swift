import Delivery
import Foundation
import JSON

/// The Svix API requests the webhook commands make, for one application and one bearer token.
///
/// Routes and bodies as in Svix's own libraries (go/endpoint.go, go/message_attempt.go); the server trims
/// trailing slashes, so these match the older `…/endpoint/` spellings too. Filters are sent as
/// `filterTypes`, the name every Svix server takes (newer ones also read `eventTypes`, an alias).
package struct SvixRequests: Sendable {
    package var baseURL: String
    package var appId: String
    var token: String
    package var userAgent: String
    package var timeout: Duration

    /// Endpoints per page of a listing; Svix's maximum is 250.
    package static let pageSize = 250

    package init(baseURL: String, appId: String, token: String, userAgent: String, timeout: Duration = .seconds(30)) {
        self.baseURL = baseURL
        self.appId = appId
        self.token = token
        self.userAgent = userAgent
        self.timeout = timeout
    }

    /// `GET /api/v1/app/{app}/endpoint?limit=250[&iterator=…]`: one page of the application's endpoints.
    package func listEndpoints(iterator: String? = nil) -> HTTPClientRequest {
        var query = "limit=\(Self.pageSize)"
        if let iterator { query += "&iterator=\(Self.escaped(iterator))" }
        return make("GET", "/endpoint?\(query)")
    }

    /// `POST /api/v1/app/{app}/endpoint` with `url`, `description`, `filterTypes`; Svix makes the secret.
    package func createEndpoint(url: String, description: String, eventTypes: [String]) -> HTTPClientRequest {
        let body: JSONValue = [
            "url": .string(url), "description": .string(description), "filterTypes": .array(eventTypes.map(JSONValue.string)),
        ]
        return make("POST", "/endpoint", body: body)
    }

    /// `PATCH /api/v1/app/{app}/endpoint/{id}`: only the fields given change.
    package func patchEndpoint(id: String, eventTypes: [String]?, enable: Bool) -> HTTPClientRequest {
        var fields: [String: JSONValue] = [:]
        if let eventTypes { fields["filterTypes"] = .array(eventTypes.map(JSONValue.string)) }
        if enable { fields["disabled"] = false }
        return make("PATCH", "/endpoint/\(Self.escaped(id))", body: .object(fields))
    }

    /// `GET /api/v1/app/{app}/endpoint/{id}/secret` → `{"key":"whsec_…"}`.
    package func endpointSecret(id: String) -> HTTPClientRequest {
        make("GET", "/endpoint/\(Self.escaped(id))/secret")
    }

    /// `GET /api/v1/app/{app}/attempt/endpoint/{id}?status=2&limit=…`: the latest failed attempts
    /// (status 0 success, 1 pending, 2 failed, 3 sending).
    package func failedAttempts(endpointId: String, limit: Int) -> HTTPClientRequest {
        make("GET", "/attempt/endpoint/\(Self.escaped(endpointId))?status=2&limit=\(limit)")
    }

    /// `POST /api/v1/app/{app}/endpoint/{id}/recover` with `{"since": ISO 8601}`: Svix sends every message
    /// that failed to this endpoint since then again.
    package func recover(endpointId: String, since: Date) -> HTTPClientRequest {
        make("POST", "/endpoint/\(Self.escaped(endpointId))/recover", body: ["since": .string(Self.timestamp(since))])
    }

    /// `2026-12-06T10:00:00Z`, as Svix reads dates.
    package static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// The route without its host and ids' values, for failure messages.
    package static func step(_ request: HTTPClientRequest) -> String {
        let path = request.url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.url
        let route = path.range(of: "/api/v1/").map { String(path[$0.lowerBound...]) } ?? path
        return "Svix \(request.method) \(route)"
    }

    private func make(_ method: String, _ route: String, body: JSONValue? = nil) -> HTTPClientRequest {
        var headers: [(name: String, value: String)] = [
            ("Authorization", "Bearer \(token)"), ("Accept", "application/json"), ("User-Agent", userAgent),
        ]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        return HTTPClientRequest(
            method: method,
            url: "\(baseURL)/api/v1/app/\(Self.escaped(appId))\(route)",
            headers: headers,
            body: body?.encoded() ?? Data(),
            timeout: timeout
        )
    }

    /// A path segment or query value: ids are `ep_…` or uids, but nothing from an answer goes in raw.
    static func escaped(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
