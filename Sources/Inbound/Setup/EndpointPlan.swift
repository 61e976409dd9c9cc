import Foundation

/// What `bridge novu webhook setup` does to Svix, decided from the endpoints that exist: nothing runs
/// twice, so a second setup finds the first one's endpoint and leaves it as it is.
package enum EndpointPlan: Sendable, Equatable {
    /// No endpoint has the URL: create one with the filter.
    case create
    /// An endpoint with the URL and the filter exists, enabled.
    case keep(SvixEndpoint)
    /// An endpoint with the URL exists: set its filter (when `eventTypes` is not `nil`) and enable it
    /// (when `enable`).
    case update(SvixEndpoint, eventTypes: [String]?, enable: Bool)

    /// The plan for an endpoint at `url` receiving `eventTypes`. Of several endpoints at the URL, one
    /// already right is kept; otherwise the first is changed, the others are left to the operator.
    package static func decide(existing: [SvixEndpoint], url: String, eventTypes: [String]) -> EndpointPlan {
        let wanted = eventTypes.sorted()
        let matching = existing.filter { WebhookURL.same($0.url, url) }
        if let right = matching.first(where: { $0.eventTypes == wanted && !$0.disabled }) { return .keep(right) }
        guard let first = matching.first else { return .create }
        return .update(first, eventTypes: first.eventTypes == wanted ? nil : wanted, enable: first.disabled)
    }
}

/// Endpoint URLs compared as Svix stores them: scheme and host without case, a bare host with or
/// without its `/`, a path's trailing `/` ignored; the path and query themselves exactly.
package enum WebhookURL {
    package static func same(_ lhs: String, _ rhs: String) -> Bool {
        normalized(lhs) == normalized(rhs)
    }

    static func normalized(_ text: String) -> String {
        guard var parts = URLComponents(string: text.trimmingCharacters(in: .whitespaces)) else { return text }
        parts.scheme = parts.scheme?.lowercased()
        parts.host = parts.host?.lowercased()
        if (parts.scheme == "https" && parts.port == 443) || (parts.scheme == "http" && parts.port == 80) { parts.port = nil }
        while parts.path.hasSuffix("/") { parts.path.removeLast() }
        return parts.string ?? text
    }

    /// A URL Svix can deliver to: `http` or `https` with a host.
    package static func isDeliverable(_ text: String) -> Bool {
        guard let parts = URLComponents(string: text), let scheme = parts.scheme?.lowercased(),
            ["http", "https"].contains(scheme), parts.host?.isEmpty == false
        else { return false }
        return true
    }
}
