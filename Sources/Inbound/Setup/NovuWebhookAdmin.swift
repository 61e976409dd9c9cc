import Delivery
import Foundation
import JSON

/// Novu's outbound webhook endpoint, managed through the Svix application behind it: the effects of
/// `bridge novu webhook setup | status | recover`. The decisions are in `NovuPortal`, `SvixRequests`,
/// `EndpointPlan` and the answer types; this only carries values between them and the HTTP client.
package struct NovuWebhookAdmin: Sendable {
    /// Where Novu and Svix are, and the key.
    package struct Configuration: Sendable {
        /// Novu secret key (`NOVU_API_KEY`).
        package var novuAPIKey: String
        /// `NOVU_API_URL`, without a trailing slash.
        package var novuBaseURL: String
        /// `SVIX_API_URL`: replaces the host chosen from the token's region.
        package var svixBaseURL: String?
        package var userAgent = "novu-segment-bridge"
        /// Per request.
        package var timeout: Duration = .seconds(30)

        package init(novuAPIKey: String, novuBaseURL: String = "https://api.novu.co", svixBaseURL: String? = nil) {
            self.novuAPIKey = novuAPIKey
            self.novuBaseURL = novuBaseURL
            self.svixBaseURL = svixBaseURL
        }
    }

    /// Pages of endpoints read at most; 250 each.
    static let pageLimit = 40

    package let configuration: Configuration
    let client: any HTTPClient

    package init(configuration: Configuration, client: any HTTPClient) {
        self.configuration = configuration
        self.client = client
    }

    /// Novu's token for the environment's webhook application, creating the application on first use.
    package func portalAccess() async throws(WebhookAdminFailure) -> PortalAccess {
        for attempt in 0..<2 {
            switch try await askNovu("GET") {
            case .access(let access) where access.token != nil:
                return access
            case .refused(let failure):
                throw failure
            case .access, .noApplication:
                guard attempt == 0 else { break }
                // No application yet (or an answer without a token): create it, then ask for the token
                // again, unless the creation's answer holds one.
                switch try await askNovu("POST") {
                case .access(let access) where access.token != nil: return access
                case .refused(let failure): throw failure
                case .access, .noApplication: break
                }
            }
        }
        throw WebhookAdminFailure(
            kind: .failed,
            step: "Novu GET \(NovuPortal.path)",
            status: 200,
            reason: "Novu gave no portal token after creating the webhook application"
        )
    }

    /// The Svix requests for `access`'s application, on the host its token's region names.
    package func svix(_ access: PortalAccess) -> SvixRequests {
        let token = access.token ?? ""
        return SvixRequests(
            baseURL: SvixHost.baseURL(token: token, override: configuration.svixBaseURL),
            appId: access.appId,
            token: token,
            userAgent: configuration.userAgent,
            timeout: configuration.timeout
        )
    }

    /// Every endpoint of the application, page after page.
    package func endpoints(_ svix: SvixRequests) async throws(WebhookAdminFailure) -> [SvixEndpoint] {
        var all: [SvixEndpoint] = []
        var iterator: String?
        for _ in 0..<Self.pageLimit {
            let request = svix.listEndpoints(iterator: iterator)
            let json = try await askSvix(request)
            guard let page = SvixPage(json: json, item: SvixEndpoint.init(json:)) else {
                throw WebhookAdminFailure(kind: .failed, step: SvixRequests.step(request), status: 200, reason: "the answer is not a list")
            }
            all += page.items
            guard let next = page.next, next != iterator else { return all }
            iterator = next
        }
        return all
    }

    private func askNovu(_ method: String) async throws(WebhookAdminFailure) -> NovuPortal.Answer {
        let request = NovuPortal.request(
            method,
            baseURL: configuration.novuBaseURL,
            apiKey: configuration.novuAPIKey,
            userAgent: configuration.userAgent,
            timeout: configuration.timeout
        )
        return NovuPortal.interpret(try await send(request, step: "Novu \(method) \(NovuPortal.path)"), method: method)
    }

    /// Sends a Svix request; a 2xx answer's JSON (`null` for an empty body), else the failure.
    func askSvix(_ request: HTTPClientRequest) async throws(WebhookAdminFailure) -> JSONValue {
        let step = SvixRequests.step(request)
        let response = try await send(request, step: step)
        switch response.status {
        case 200..<300:
            if response.body.isEmpty { return .null }
            guard let json = try? JSONValue.parse(response.body) else {
                throw WebhookAdminFailure(kind: .failed, step: step, status: response.status, reason: "the answer is not JSON")
            }
            return json
        case 401:
            throw WebhookAdminFailure(
                kind: .svixTokenRejected,
                step: step,
                status: 401,
                reason: "Svix refused the portal token (\(AnswerReason.short(response)))"
            )
        default:
            throw WebhookAdminFailure(kind: .failed, step: step, status: response.status, reason: AnswerReason.short(response))
        }
    }

    private func send(_ request: HTTPClientRequest, step: String) async throws(WebhookAdminFailure) -> HTTPClientResponse {
        do {
            return try await client.execute(request)
        } catch {
            throw WebhookAdminFailure(kind: .noAnswer, step: step, reason: error.message)
        }
    }
}
