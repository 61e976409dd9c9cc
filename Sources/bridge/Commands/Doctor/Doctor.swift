import ArgumentParser
import Delivery
import Foundation
import Inbound
import JSON
import MappingFiles
import Outbound

/// `bridge doctor`: online checks of the bridge's setup, one line of advice each (DESIGN §10).
/// Exit code 0: all well; 1: warnings; 2: errors.
struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the setup online: Novu key and environment, webhook endpoint, poller, feedback in the store.",
        discussion: "Exits 0 when all is well, 1 with warnings, 2 with errors."
    )

    @OptionGroup var options: ServeOptions
    @Option(help: "The public URL of the novu port's webhook route (https://<host>/webhooks/novu), to find its endpoint.")
    var url: String?

    func run() async throws {
        let loaded = options.load()
        guard loaded.problems.isEmpty else {
            for problem in loaded.problems { CLIOutput.printError(problem) }
            throw ExitCode(78)
        }
        let facts = await DoctorFacts.gather(loaded.configuration, mapping: loaded.mapping, webhookURL: url)
        let findings = DoctorChecks.findings(facts)
        let width = findings.map(\.check.count).max() ?? 0
        for finding in findings {
            let label = finding.severity.label.padding(toLength: 8, withPad: " ", startingAt: 0)
            print("\(label)\(finding.check.padding(toLength: width + 2, withPad: " ", startingAt: 0))\(finding.message)")
        }
        let code = DoctorFinding.exitCode(findings)
        if code != 0 { throw ExitCode(code) }
    }
}

extension DoctorFacts {
    /// Asks Novu (and Svix) and reads the store. Never throws: what cannot be learnt is a fact too.
    static func gather(_ config: BridgeConfiguration, mapping: MappingFile?, webhookURL: String?) async -> DoctorFacts {
        var facts = DoctorFacts()
        facts.bridgeEnvironment = config.environment
        facts.webhookSecretSet = !config.novuWebhookSecrets.isEmpty
        facts.pollEnabled = config.pollEnabled
        let names = mapping?.feedback ?? FeedbackNames()
        facts.wantedTypes = Set(names.table.keys.filter(WebhookEventTypes.catalogue.contains))
        let client = CurlHTTPClient(threads: 2)
        if let key = config.novuAPIKey {
            facts.novuKey = await novuKey(key, baseURL: config.novuAPIURL, client: client)
        }
        if let key = config.novuAPIKey, case .valid = facts.novuKey {
            facts.v2Routes = await v2Routes(key, baseURL: config.novuAPIURL, client: client)
            facts.webhook = await webhook(config, key: key, url: webhookURL, client: client)
        } else {
            facts.webhook = .notChecked("Novu did not accept NOVU_API_KEY")
        }
        do {
            let store = try await StoreOptions.openExisting(directory: config.dataDir, database: config.database)
            facts.follows = try await store.followFigures()
            facts.feedback = try await store.feedbackFigures(since: facts.now.addingTimeInterval(-86400), webhookKeyPrefix: "novu-webhook:")
        } catch {
            facts.storeProblem = "\(error)"
        }
        return facts
    }

    /// `GET /v1/environments/me`: whether Novu takes the key, and whose environment it is.
    static func novuKey(_ key: String, baseURL: String, client: any HTTPClient) async -> NovuKey {
        let request = HTTPClientRequest(
            method: "GET",
            url: (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/v1/environments/me",
            headers: [("Authorization", "ApiKey \(key)"), ("Accept", "application/json")],
            timeout: .seconds(15)
        )
        do {
            let answer = try await client.execute(request)
            switch answer.status {
            case 200..<300:
                let json = try? JSONValue.parse(answer.body)
                let environment = json?["data"] ?? json
                return .valid(
                    environment: environment?["name"]?.stringValue ?? "unnamed",
                    id: environment?["_id"]?.stringValue ?? "unknown id"
                )
            case 401, 403: return .refused(status: answer.status)
            default: return .unexpected(status: answer.status)
            }
        } catch {
            return .unreachable(error.message)
        }
    }

    /// The endpoint at `url` (or Novu's only one), through Novu's webhook portal and Svix.
    static func webhook(_ config: BridgeConfiguration, key: String, url: String?, client: any HTTPClient) async -> Webhook {
        var settings = NovuWebhookAdmin.Configuration(novuAPIKey: key, novuBaseURL: config.novuAPIURL, svixBaseURL: config.svixAPIURL)
        settings.timeout = .seconds(15)
        do {
            let status = try await NovuWebhookAdmin(configuration: settings, client: client).status(url: url)
            return .found(
                url: status.endpoint.url,
                disabled: status.endpoint.disabled,
                filterTypes: status.endpoint.eventTypes,
                recentFailures: status.recentFailures.count
            )
        } catch {
            switch error.kind {
            case .noEndpoint: return .missing(url: url ?? "the bridge's /webhooks/novu")
            case .planWithoutWebhooks, .webhooksNotAvailable:
                // Expected when the poller brings the feedback; a problem when webhooks are meant to.
                if config.novuWebhookSecrets.isEmpty { return .notChecked("Novu has no webhooks for this account") }
                return .failed("\(error.step): \(error.reason)")
            default: return .failed("\(error.step): \(error.reason)")
            }
        }
    }

    /// Whether Novu has the v2 subscriber routes (`GET /v2/subscribers?limit=1`): self-hosted Novu 2.x
    /// answers a route-not-found 404, and the bridge then sends v1 requests (`NovuFallback`).
    static func v2Routes(_ key: String, baseURL: String, client: any HTTPClient) async -> Bool? {
        let request = HTTPClientRequest(
            method: "GET",
            url: (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + "/v2/subscribers?limit=1",
            headers: [("Authorization", "ApiKey \(key)"), ("Accept", "application/json")],
            timeout: .seconds(15)
        )
        guard let answer = try? await client.execute(request) else { return nil }
        if answer.status == 404 { return !NovuFallback.isRouteNotFound(answer.body) }
        return (200..<300).contains(answer.status) ? true : nil
    }
}
