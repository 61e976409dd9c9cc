import Delivery
import Foundation
import JSON

/// What Novu gives for its environment's webhook application: the Svix application and, from the `GET`,
/// a short-lived token for Svix's API and the one-time portal link.
package struct PortalAccess: Sendable, Equatable, CustomStringConvertible {
    /// The Svix application (Novu's `o-<organization>-e-<environment>` uid).
    package var appId: String
    /// `Authorization: Bearer` for Svix; `nil` in the `POST`'s answer, which only creates the application.
    package var token: String?
    /// The one-time webhook portal link.
    package var portalURL: String?

    package init(appId: String, token: String?, portalURL: String?) {
        self.appId = appId
        self.token = token
        self.portalURL = portalURL
    }

    /// Without the token: this value may end up in a log line or an error.
    package var description: String { "PortalAccess(appId: \(appId), token: \(token == nil ? "none" : "[redacted]"))" }
}

/// Novu's `/v2/outbound-webhooks/portal/token` (apps/api/src/app/outbound-webhooks/outbound-webhooks.controller.ts):
///
/// - `GET` answers `{"data":{"url","token","appId"}}`, a Svix app-portal token for the environment of the
///   key; `404 "Portal not found for environment …"` while the environment has no webhook application.
/// - `POST` (body `{}`) creates that application and answers `{"data":{"appId"}}`; some versions (and
///   DESIGN §10) answer the `POST` with the token too, which is then used at once.
/// - Both: `402 Payment Required` on a plan without webhooks (ProductFeatureInterceptor), `400 "Webhook
///   system is not enabled"` on a Novu without Svix; `Authorization: ApiKey <key>` skips the RBAC checks.
package enum NovuPortal {
    /// The route under the API base.
    package static let path = "/v2/outbound-webhooks/portal/token"

    /// The request: `GET` for a token, `POST` to create the application.
    package static func request(
        _ method: String,
        baseURL: String,
        apiKey: String,
        userAgent: String,
        timeout: Duration = .seconds(30)
    ) -> HTTPClientRequest {
        var headers: [(name: String, value: String)] = [
            ("Authorization", "ApiKey \(apiKey)"), ("Accept", "application/json"), ("User-Agent", userAgent),
        ]
        if method == "POST" { headers.append(("Content-Type", "application/json")) }
        return HTTPClientRequest(
            method: method,
            url: baseURL + path,
            headers: headers,
            body: method == "POST" ? Data("{}".utf8) : Data(),
            timeout: timeout
        )
    }

    /// What an answer of Novu's means.
    package enum Answer: Sendable, Equatable {
        case access(PortalAccess)
        /// The environment has no webhook application yet: `POST` creates it.
        case noApplication
        case refused(WebhookAdminFailure)
    }

    /// Reads Novu's answer to `method`.
    package static func interpret(_ response: HTTPClientResponse, method: String) -> Answer {
        let step = "Novu \(method) \(path)"
        let reason = AnswerReason.short(response)
        func refused(_ kind: WebhookAdminFailure.Kind, _ text: String) -> Answer {
            .refused(WebhookAdminFailure(kind: kind, step: step, status: response.status, reason: text))
        }
        switch response.status {
        case 200..<300:
            let data = (try? JSONValue.parse(response.body))?["data"]
            guard let appId = data?["appId"]?.stringValue, !appId.isEmpty else {
                return refused(.failed, "the answer has no data.appId")
            }
            let token = data?["token"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            return .access(PortalAccess(appId: appId, token: token, portalURL: data?["url"]?.stringValue))
        case 401:
            return refused(.novuKeyRejected, "NOVU_API_KEY rejected by Novu (\(reason))")
        case 402, 403:
            return refused(.planWithoutWebhooks, "this Novu plan has no outbound webhooks (\(reason))")
        case 404 where method == "GET", 405 where method == "GET":
            // "Portal not found" while the environment has no application; a Novu whose route takes only
            // `POST` (the token in its answer) says so with a route-level 404 or 405. Either way the `POST`
            // decides: it creates the application, or its own refusal says what this Novu lacks.
            return .noApplication
        case 404:
            return refused(.webhooksNotAvailable, "this Novu has no outbound-webhooks API (self-hosted without Svix, or older) (\(reason))")
        case 400 where reason.localizedCaseInsensitiveContains("not enabled"):
            return refused(.webhooksNotAvailable, "webhooks are not enabled on this Novu (self-hosted without Svix) (\(reason))")
        default:
            return refused(.failed, reason)
        }
    }
}
