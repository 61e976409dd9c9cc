import Delivery
import Foundation
import JSON

/// What `setup` did.
package struct WebhookSetupOutcome: Sendable {
    package enum Change: String, Sendable, Equatable {
        case created, updated, unchanged
    }

    package var endpoint: SvixEndpoint
    package var change: Change
    /// The endpoint's signing secret: for the secret file, never for output.
    package var secret: EndpointSigningSecret
}

/// The endpoint as `status` (and `bridge doctor`) shows it.
package struct WebhookEndpointStatus: Sendable, Equatable {
    package var appId: String
    package var endpoint: SvixEndpoint
    /// The latest failed attempts, newest first.
    package var recentFailures: [FailedAttempt]
}

/// What `recover` asked of Svix.
package struct WebhookRecovery: Sendable, Equatable {
    package var endpoint: SvixEndpoint
    package var since: Date
    /// Svix's background task, `qtask_…`, and its status (`running`, `finished`, …).
    package var taskId: String?
    package var taskStatus: String?
}

extension NovuWebhookAdmin {
    /// Makes sure one endpoint at `url` receives `eventTypes`: finds it or creates it, corrects its filter
    /// or re-enables it, and reads its signing secret. Running it again changes nothing.
    package func setup(
        url: String,
        eventTypes: [String],
        description: String = "novu-segment bridge"
    ) async throws(WebhookAdminFailure) -> WebhookSetupOutcome {
        let access = try await portalAccess()
        do throws(WebhookAdminFailure) {
            let svix = svix(access)
            let endpoint: SvixEndpoint
            let change: WebhookSetupOutcome.Change
            switch EndpointPlan.decide(existing: try await endpoints(svix), url: url, eventTypes: eventTypes) {
            case .keep(let found):
                (endpoint, change) = (found, .unchanged)
            case .create:
                let request = svix.createEndpoint(url: url, description: description, eventTypes: eventTypes.sorted())
                endpoint = try readEndpoint(try await askSvix(request), request)
                change = .created
            case .update(let found, let filter, let enable):
                let request = svix.patchEndpoint(id: found.id, eventTypes: filter, enable: enable)
                endpoint = try readEndpoint(try await askSvix(request), request)
                change = .updated
            }
            let request = svix.endpointSecret(id: endpoint.id)
            guard let secret = EndpointSigningSecret(json: try await askSvix(request)) else {
                throw WebhookAdminFailure(
                    kind: .failed,
                    step: SvixRequests.step(request),
                    status: 200,
                    reason: "the answer has no whsec_ key"
                )
            }
            return WebhookSetupOutcome(endpoint: endpoint, change: change, secret: secret)
        } catch {
            throw error.with(portalURL: access.portalURL)
        }
    }

    /// The endpoint at `url` (or, without one, the application's only endpoint, or its only one ending in
    /// `/webhooks/novu`), its filter, and its latest failed attempts.
    package func status(url: String?, failures: Int = 10) async throws(WebhookAdminFailure) -> WebhookEndpointStatus {
        let access = try await portalAccess()
        let svix = svix(access)
        let endpoint = try Self.choose(try await endpoints(svix), url: url)
        let request = svix.failedAttempts(endpointId: endpoint.id, limit: max(1, min(failures, 250)))
        let page = SvixPage(json: try await askSvix(request), item: FailedAttempt.init(json:))
        return WebhookEndpointStatus(appId: access.appId, endpoint: endpoint, recentFailures: page?.items ?? [])
    }

    /// Asks Svix to send again every message that failed to the endpoint since `since`.
    package func recover(url: String?, since: Date) async throws(WebhookAdminFailure) -> WebhookRecovery {
        let access = try await portalAccess()
        let svix = svix(access)
        let endpoint = try Self.choose(try await endpoints(svix), url: url)
        let answer = try await askSvix(svix.recover(endpointId: endpoint.id, since: since))
        return WebhookRecovery(
            endpoint: endpoint,
            since: since,
            taskId: answer["id"]?.stringValue,
            taskStatus: answer["status"]?.stringValue
        )
    }

    /// The endpoint a command without `--url` means, or one with it.
    static func choose(_ endpoints: [SvixEndpoint], url: String?) throws(WebhookAdminFailure) -> SvixEndpoint {
        let step = "choosing the endpoint"
        if let url {
            guard let found = endpoints.first(where: { WebhookURL.same($0.url, url) }) else {
                throw WebhookAdminFailure(kind: .noEndpoint, step: step, reason: "no endpoint has the URL \(url); run setup first")
            }
            return found
        }
        if endpoints.count == 1 { return endpoints[0] }
        let bridge = endpoints.filter { URLComponents(string: $0.url)?.path.hasSuffix("/webhooks/novu") == true }
        if bridge.count == 1 { return bridge[0] }
        guard !endpoints.isEmpty else {
            throw WebhookAdminFailure(kind: .noEndpoint, step: step, reason: "the webhook application has no endpoint; run setup first")
        }
        let urls = endpoints.map(\.url).joined(separator: ", ")
        throw WebhookAdminFailure(kind: .noEndpoint, step: step, reason: "several endpoints (\(urls)): name one with --url")
    }

    private func readEndpoint(_ json: JSONValue, _ request: HTTPClientRequest) throws(WebhookAdminFailure) -> SvixEndpoint {
        guard let endpoint = SvixEndpoint(json: json) else {
            throw WebhookAdminFailure(kind: .failed, step: SvixRequests.step(request), status: 200, reason: "the answer is not an endpoint")
        }
        return endpoint
    }
}

extension WebhookAdminFailure {
    /// The same failure, carrying the portal link obtained before it.
    func with(portalURL: String?) -> WebhookAdminFailure {
        var copy = self
        copy.portalURL = copy.portalURL ?? portalURL
        return copy
    }
}
