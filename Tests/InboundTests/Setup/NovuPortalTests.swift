import Delivery
import Foundation
import Inbound
import JSON
import Testing

@Suite("Novu portal token: request and answers")
struct NovuPortalTests {
    @Test("GET and POST /v2/outbound-webhooks/portal/token with Authorization: ApiKey")
    func requests() {
        let get = NovuPortal.request("GET", baseURL: "https://eu.api.novu.co", apiKey: "nk-1", userAgent: "ua")
        #expect(get.method == "GET")
        #expect(get.url == "https://eu.api.novu.co/v2/outbound-webhooks/portal/token")
        #expect(get.header("Authorization") == "ApiKey nk-1")
        #expect(get.body.isEmpty)
        let post = NovuPortal.request("POST", baseURL: "https://api.novu.co", apiKey: "nk-1", userAgent: "ua")
        #expect(post.method == "POST")
        #expect(post.header("Content-Type") == "application/json")
        #expect(String(decoding: post.body, as: UTF8.self) == "{}")
    }

    static func answer(_ status: Int, _ json: JSONValue) -> HTTPClientResponse {
        HTTPClientResponse(status: status, body: json.encoded())
    }

    @Test("200 {data:{url,token,appId}} is the access")
    func access() {
        let body: JSONValue = ["data": ["url": "https://app.svix.com/login#key=k", "token": "appsk_t.eu", "appId": "o-1-e-2"]]
        #expect(
            NovuPortal.interpret(Self.answer(200, body), method: "GET")
                == .access(PortalAccess(appId: "o-1-e-2", token: "appsk_t.eu", portalURL: "https://app.svix.com/login#key=k"))
        )
        // The POST only creates the application: an appId, no token.
        #expect(
            NovuPortal.interpret(Self.answer(201, ["data": ["appId": "o-1-e-2"]]), method: "POST")
                == .access(PortalAccess(appId: "o-1-e-2", token: nil, portalURL: nil))
        )
    }

    @Test("a GET without a token (route-level 404, 405) leaves it to the POST", arguments: [404, 405])
    func getLeavesItToPost(status: Int) {
        let body: JSONValue = ["statusCode": .int(Int64(status)), "message": "Cannot GET /v2/outbound-webhooks/portal/token"]
        #expect(NovuPortal.interpret(Self.answer(status, body), method: "GET") == .noApplication)
    }

    @Test("GET 404 'Portal not found' means: no application yet")
    func noApplication() {
        let body: JSONValue = ["statusCode": 404, "message": "Portal not found for environment 65f0"]
        #expect(NovuPortal.interpret(Self.answer(404, body), method: "GET") == .noApplication)
    }

    static let refusals: [(status: Int, body: JSONValue, method: String, kind: WebhookAdminFailure.Kind)] = [
        (401, ["statusCode": 401, "message": "Unauthorized"], "GET", .novuKeyRejected),
        (402, ["statusCode": 402, "message": "Payment Required"], "GET", .planWithoutWebhooks),
        (403, ["statusCode": 403, "message": "Forbidden"], "POST", .planWithoutWebhooks),
        (404, ["statusCode": 404, "message": "Cannot POST /v2/outbound-webhooks/portal/token"], "POST", .webhooksNotAvailable),
        (404, ["statusCode": 404, "message": "Portal not found"], "POST", .webhooksNotAvailable),
        (400, ["statusCode": 400, "message": "Webhook system is not enabled"], "GET", .webhooksNotAvailable),
        (400, ["statusCode": 400, "message": "Failed to generate Svix portal token: boom"], "POST", .failed),
        (500, ["message": "Internal server error"], "GET", .failed),
        (200, ["data": ["token": "appsk_t"]], "GET", .failed),
    ]

    @Test("refusals become failures of the right kind, with status and Novu's message", arguments: refusals)
    func refused(status: Int, body: JSONValue, method: String, kind: WebhookAdminFailure.Kind) {
        guard case .refused(let failure) = NovuPortal.interpret(Self.answer(status, body), method: method) else {
            Issue.record("not a refusal")
            return
        }
        #expect(failure.kind == kind)
        #expect(failure.status == status)
        #expect(failure.step == "Novu \(method) /v2/outbound-webhooks/portal/token")
        if let message = body["message"]?.stringValue { #expect(failure.reason.contains(message)) }
    }

    @Test("the access's description never shows the token")
    func redacted() {
        let access = PortalAccess(appId: "o-1", token: "appsk_secret.eu", portalURL: nil)
        #expect(!"\(access)".contains("appsk_secret"))
    }
}
