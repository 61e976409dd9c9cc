import Delivery
import Foundation
import JSON
import TestSupport

/// A fake Novu (the portal token route) and a fake Svix (endpoints, secrets, attempts, recover) on
/// loopback, for `bridge novu webhook …` run as a process.
final class FakeNovuWebhooks: Sendable {
    static let apiKey = "nk-webhook-secret-0123456789"
    static let token = "appsk_portal-token-secret.eu"
    static let portalURL = "https://app.svix.com/login#key=one-time-portal-key"
    static let appId = "o-1-e-2"
    static let signingSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// What the fake Svix holds.
    struct State: Sendable {
        var endpoints: [JSONValue] = []
        var created = 0
        /// Answers every Svix request with this status instead, when set.
        var failWith: Int?
        /// Answers with an `iterator` after the first endpoint, so the listing takes two pages.
        var paged = true
    }

    let novu: FakeServer
    let svix: FakeServer
    let state: Locked<State>

    private init(novu: FakeServer, svix: FakeServer, state: Locked<State>) {
        self.novu = novu
        self.svix = svix
        self.state = state
    }

    static func start(endpoints: [JSONValue] = []) async throws -> FakeNovuWebhooks {
        let state = Locked(State(endpoints: endpoints))
        let novu = try await FakeServer.start { _ in portalToken }
        let svix = try await FakeServer.start { request in
            state.withLock { Self.answer(request, &$0) }
        }
        return FakeNovuWebhooks(novu: novu, svix: svix, state: state)
    }

    /// Novu's answer to `GET /v2/outbound-webhooks/portal/token`.
    static let portalToken = FakeResponse(
        status: 200,
        json: ["data": ["url": .string(portalURL), "token": .string(token), "appId": .string(appId)]]
    )

    /// `NOVU_API_KEY`, `NOVU_API_URL` and `SVIX_API_URL` pointing at the fakes.
    var environment: [String: String] {
        ["NOVU_API_KEY": Self.apiKey, "NOVU_API_URL": novu.baseURL, "SVIX_API_URL": svix.baseURL]
    }

    /// The Svix requests that changed something.
    var writes: [RecordedRequest] { svix.requests.filter { ["POST", "PATCH", "PUT"].contains($0.method) } }

    func stop() {
        novu.stop()
        svix.stop()
    }

    static func endpoint(_ id: String, url: String, events: [String]?, disabled: Bool = false) -> JSONValue {
        let filter: JSONValue = events.map { .array($0.map(JSONValue.string)) } ?? .null
        return [
            "id": .string(id), "url": .string(url), "description": "", "eventTypes": filter, "filterTypes": filter,
            "disabled": .bool(disabled), "metadata": [:],
        ]
    }

    private static func answer(_ request: RecordedRequest, _ state: inout State) -> FakeResponse {
        if let status = state.failWith { return FakeResponse(status: status, json: ["code": "failed", "detail": "fake Svix refuses"]) }
        let prefix = "/api/v1/app/\(appId)"
        let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.path
        guard path.hasPrefix(prefix) else { return FakeResponse(status: 404, json: ["detail": "no such app"]) }
        let route = String(path.dropFirst(prefix.count))
        let parts = route.split(separator: "/").map(String.init)
        switch (request.method, parts.count) {
        case ("GET", 1) where parts[0] == "endpoint":
            // Two pages: the first endpoint alone, then the rest.
            if state.paged, !request.path.contains("iterator="), state.endpoints.count > 1 {
                return FakeResponse(status: 200, json: ["data": [state.endpoints[0]], "iterator": "it_2", "done": false])
            }
            let rest = state.paged && state.endpoints.count > 1 ? Array(state.endpoints.dropFirst()) : state.endpoints
            return FakeResponse(status: 200, json: ["data": .array(rest), "iterator": nil, "done": true])
        case ("POST", 1) where parts[0] == "endpoint":
            state.created += 1
            let json = request.json
            let created = endpoint(
                "ep_\(state.created)",
                url: json["url"]?.stringValue ?? "",
                events: json["filterTypes"]?.arrayValue?.compactMap(\.stringValue)
            )
            state.endpoints.append(created)
            return FakeResponse(status: 201, json: created)
        case ("PATCH", 2) where parts[0] == "endpoint":
            guard let index = state.endpoints.firstIndex(where: { $0["id"]?.stringValue == parts[1] }),
                case .object(var fields) = state.endpoints[index]
            else { return FakeResponse(status: 404, json: ["detail": "no endpoint"]) }
            if let filter = request.json["filterTypes"] { (fields["filterTypes"], fields["eventTypes"]) = (filter, filter) }
            if let disabled = request.json["disabled"] { fields["disabled"] = disabled }
            state.endpoints[index] = .object(fields)
            return FakeResponse(status: 200, json: .object(fields))
        case ("GET", 3) where parts[0] == "endpoint" && parts[2] == "secret":
            return FakeResponse(status: 200, json: ["key": .string(signingSecret)])
        case ("GET", 3) where parts[0] == "attempt" && parts[1] == "endpoint":
            let attempt: JSONValue = [
                "msgId": "msg_failed_1", "timestamp": "2026-12-06T09:00:00Z", "responseStatusCode": 401, "status": 2,
                "response": "{\"error\":\"Unauthorized\",\"message\":\"signature mismatch\"}", "endpointId": .string(parts[2]),
            ]
            return FakeResponse(status: 200, json: ["data": [attempt], "done": true])
        case ("POST", 3) where parts[0] == "endpoint" && parts[2] == "recover":
            return FakeResponse(
                status: 202,
                json: ["id": "qtask_1", "status": "running", "task": "endpoint.recover", "updatedAt": "2026-12-06T10:00:00Z"]
            )
        default:
            return FakeResponse(status: 404, json: ["detail": .string("no route \(request.method) \(path)")])
        }
    }
}
