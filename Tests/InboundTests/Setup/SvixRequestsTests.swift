import Delivery
import Foundation
import Inbound
import JSON
import Testing

@Suite("Svix requests and answers")
struct SvixRequestsTests {
    let svix = SvixRequests(baseURL: "https://api.eu.svix.com", appId: "o-1-e-2", token: "appsk_t.eu", userAgent: "ua")

    @Test("each request: method, route, Bearer token, body")
    func requests() throws {
        let list = svix.listEndpoints()
        #expect(list.method == "GET")
        #expect(list.url == "https://api.eu.svix.com/api/v1/app/o-1-e-2/endpoint?limit=250")
        #expect(list.header("Authorization") == "Bearer appsk_t.eu")
        #expect(svix.listEndpoints(iterator: "ep_2/x").url.hasSuffix("/endpoint?limit=250&iterator=ep_2%2Fx"))

        let create = svix.createEndpoint(url: "https://b/webhooks/novu", description: "d", eventTypes: ["message.sent"])
        #expect(create.method == "POST")
        #expect(create.url == "https://api.eu.svix.com/api/v1/app/o-1-e-2/endpoint")
        #expect(
            try JSONValue.parse(create.body) == ["url": "https://b/webhooks/novu", "description": "d", "filterTypes": ["message.sent"]]
        )

        let patch = svix.patchEndpoint(id: "ep_1", eventTypes: ["message.sent"], enable: true)
        #expect(patch.method == "PATCH")
        #expect(patch.url == "https://api.eu.svix.com/api/v1/app/o-1-e-2/endpoint/ep_1")
        #expect(try JSONValue.parse(patch.body) == ["filterTypes": ["message.sent"], "disabled": false])
        #expect(try JSONValue.parse(svix.patchEndpoint(id: "ep_1", eventTypes: nil, enable: true).body) == ["disabled": false])

        let secret = svix.endpointSecret(id: "ep_1")
        #expect(secret.method == "GET")
        #expect(secret.url == "https://api.eu.svix.com/api/v1/app/o-1-e-2/endpoint/ep_1/secret")

        let attempts = svix.failedAttempts(endpointId: "ep_1", limit: 10)
        #expect(attempts.url == "https://api.eu.svix.com/api/v1/app/o-1-e-2/attempt/endpoint/ep_1?status=2&limit=10")

        let since = Date(timeIntervalSince1970: 1_796_000_000)
        let recover = svix.recover(endpointId: "ep_1", since: since)
        #expect(recover.method == "POST")
        #expect(recover.url == "https://api.eu.svix.com/api/v1/app/o-1-e-2/endpoint/ep_1/recover")
        #expect(try JSONValue.parse(recover.body) == ["since": "2026-11-30T00:53:20Z"])
        #expect(SvixRequests.step(recover) == "Svix POST /api/v1/app/o-1-e-2/endpoint/ep_1/recover")
    }

    @Test("an endpoint's filter is read from eventTypes, else filterTypes; none means every type")
    func endpoint() {
        let modern: JSONValue = ["id": "ep_1", "url": "https://b", "eventTypes": ["message.sent", "message.delivered"], "disabled": true]
        #expect(
            SvixEndpoint(json: modern)
                == SvixEndpoint(id: "ep_1", url: "https://b", eventTypes: ["message.delivered", "message.sent"], disabled: true)
        )
        let older: JSONValue = ["id": "ep_1", "url": "https://b", "filterTypes": ["message.sent"], "description": "d"]
        #expect(SvixEndpoint(json: older) == SvixEndpoint(id: "ep_1", url: "https://b", description: "d", eventTypes: ["message.sent"]))
        #expect(SvixEndpoint(json: ["id": "ep_1", "url": "https://b", "filterTypes": nil])?.eventTypes == nil)
        #expect(SvixEndpoint(json: ["url": "https://b"]) == nil)
    }

    @Test("pages: items, and the next iterator until done")
    func pages() {
        let first = SvixPage(
            json: ["data": [["id": "ep_1", "url": "https://b"]], "iterator": "it_2", "done": false],
            item: SvixEndpoint.init(json:)
        )
        #expect(first?.items.map(\.id) == ["ep_1"])
        #expect(first?.next == "it_2")
        let last = SvixPage(json: ["data": [], "iterator": "it_3", "done": true], item: SvixEndpoint.init(json:))
        #expect(last?.next == nil)
        let bare = SvixPage(json: ["data": []], item: SvixEndpoint.init(json:))
        #expect(bare?.next == nil)
        #expect(SvixPage(json: ["detail": "x"], item: SvixEndpoint.init(json:)) == nil)
    }

    @Test("failed attempts: message, time, status (0: no answer), the answer's reason")
    func attempts() {
        let json: JSONValue = [
            "msgId": "msg_1", "timestamp": "2026-12-06T10:00:00Z", "responseStatusCode": 401,
            "response": "{\"error\":\"Unauthorized\",\"message\":\"signature mismatch\"}", "status": 2,
        ]
        #expect(
            FailedAttempt(json: json)
                == FailedAttempt(
                    messageId: "msg_1",
                    timestamp: "2026-12-06T10:00:00Z",
                    responseStatusCode: 401,
                    response: "signature mismatch"
                )
        )
        #expect(FailedAttempt(json: ["msgId": "msg_2", "response": ""])?.responseStatusCode == 0)
    }

    @Test("the signing secret: only whsec_ keys, and it never prints")
    func secret() {
        let secret = EndpointSigningSecret(json: ["key": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        #expect(secret?.key == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(!"\(String(describing: secret))".contains("MfKQ9r8G"))
        #expect(EndpointSigningSecret(json: ["key": "not-a-secret"]) == nil)
    }
}
