import Delivery
import Foundation

/// What `bridge doctor` found out before judging: Novu's answers, the webhook endpoint, the store.
struct DoctorFacts: Sendable, Equatable {
    /// How Novu took `NOVU_API_KEY` (`GET /v1/environments/me`).
    enum NovuKey: Sendable, Equatable {
        case notSet
        /// The environment the key belongs to.
        case valid(environment: String, id: String)
        case refused(status: Int)
        case unexpected(status: Int)
        case unreachable(String)
    }

    /// The webhook endpoint pointing at the bridge, as Svix describes it.
    enum Webhook: Sendable, Equatable {
        /// Not looked at, and why (`NOVU_WEBHOOK_SECRET` unset and no `--url`, or no key).
        case notChecked(String)
        /// Novu's webhook application has no endpoint with that URL.
        case missing(url: String)
        case found(url: String, disabled: Bool, filterTypes: [String]?, recentFailures: Int)
        /// A step failed (plan without webhooks, Svix unreachable, …).
        case failed(String)
    }

    var novuKey: NovuKey = .notSet
    /// Whether Novu has the v2 subscriber routes; `nil` when it could not be told.
    var v2Routes: Bool?
    /// `BRIDGE_ENVIRONMENT`: the seed convention sends only events whose `properties.environment` is this.
    var bridgeEnvironment = "development"
    var webhookSecretSet = false
    var webhook: Webhook = .notChecked("not looked at")
    /// The Novu message types the mapping turns into Segment events (what the endpoint should send).
    var wantedTypes: Set<String> = []
    var pollEnabled = false
    var follows: FollowFigures?
    /// The last 24 hours, from the store; `nil` with `storeProblem` when it could not be read.
    var feedback: FeedbackFigures?
    var storeProblem: String?
    var now = Date()
}

/// The judgements of `bridge doctor`, one per condition (DESIGN §10). Pure: facts in, findings out.
enum DoctorChecks {
    static func findings(_ facts: DoctorFacts) -> [DoctorFinding] {
        var found = [novuKey(facts)]
        if let environment = environment(facts) { found.append(environment) }
        if facts.v2Routes == false {
            found.append(
                .ok("novu api", "this Novu has no v2 subscriber and topic routes (self-hosted Novu 2.x): the bridge sends their v1 twins")
            )
        }
        found.append(contentsOf: webhook(facts))
        found.append(contentsOf: poller(facts))
        found.append(contentsOf: store(facts))
        return found
    }

    static func novuKey(_ facts: DoctorFacts) -> DoctorFinding {
        switch facts.novuKey {
        case .notSet:
            return .error("novu key", "NOVU_API_KEY is not set: set it to the secret key of your Novu environment (Settings → API Keys)")
        case .valid(let environment, let id):
            return .ok("novu key", "Novu accepts NOVU_API_KEY; it belongs to the \(environment) environment (\(id))")
        case .refused(let status):
            return .error(
                "novu key",
                "Novu refused NOVU_API_KEY (\(status)): copy the secret key again from Settings → API Keys, and check NOVU_API_URL (EU accounts use https://eu.api.novu.co)"
            )
        case .unexpected(let status):
            return .error("novu key", "Novu answered \(status) to GET /v1/environments/me: check NOVU_API_URL")
        case .unreachable(let why):
            return .error("novu key", "Novu could not be reached (\(why)): check NOVU_API_URL and this machine's network")
        }
    }

    static func environment(_ facts: DoctorFacts) -> DoctorFinding? {
        guard case .valid(let environment, _) = facts.novuKey else { return nil }
        if environment.lowercased() == facts.bridgeEnvironment.lowercased() {
            return .ok(
                "environment",
                "seed events with properties.environment=\(facts.bridgeEnvironment) go to Novu's \(environment) environment"
            )
        }
        return .warning(
            "environment",
            "BRIDGE_ENVIRONMENT is \(facts.bridgeEnvironment) but NOVU_API_KEY belongs to Novu's \(environment) environment: seed events marked \(facts.bridgeEnvironment) trigger \(environment) workflows; set BRIDGE_ENVIRONMENT=\(environment.lowercased()) or use that environment's key"
        )
    }

    static func webhook(_ facts: DoctorFacts) -> [DoctorFinding] {
        switch facts.webhook {
        case .notChecked(let why):
            if !facts.webhookSecretSet { return [] }
            return [.warning("webhook", "the webhook endpoint was not checked (\(why)): pass --url https://<host>/webhooks/novu")]
        case .failed(let why):
            // Only worth a word when the bridge expects webhooks.
            guard facts.webhookSecretSet else { return [] }
            return [.warning("webhook", "the webhook endpoint could not be read (\(why)); `bridge novu webhook status` says more")]
        case .missing(let url):
            // Without a secret the bridge takes no webhooks: the poller (or nothing, said below) brings feedback.
            guard facts.webhookSecretSet else { return [] }
            return [
                .error(
                    "webhook",
                    "no webhook endpoint in Novu points at \(url): run `bridge novu webhook setup --url \(url) --secret-file …`"
                )
            ]
        case .found(let url, let disabled, let filter, let failures):
            var found: [DoctorFinding] = []
            if disabled {
                found.append(
                    .error(
                        "webhook",
                        "the endpoint for \(url) is disabled (Svix disables an endpoint after days of failures): enable it in Novu's webhook portal, then run `bridge novu webhook recover --since 7d`"
                    )
                )
            }
            if let filter, !filter.isEmpty {
                let missing = facts.wantedTypes.subtracting(filter).sorted()
                if !missing.isEmpty {
                    found.append(
                        .warning(
                            "webhook",
                            "the endpoint for \(url) does not send \(missing.joined(separator: ", ")), which the mapping turns into Segment events: run `bridge novu webhook setup` again to update its filter"
                        )
                    )
                }
            }
            if failures > 0 {
                found.append(
                    .warning(
                        "webhook",
                        "\(failures) recent deliveries to \(url) failed: check the bridge is reachable there, then `bridge novu webhook recover --since 1d`"
                    )
                )
            }
            if !facts.webhookSecretSet {
                found.append(
                    .warning(
                        "webhook",
                        "an endpoint points at \(url) but NOVU_WEBHOOK_SECRET is not set, so the bridge refuses its webhooks: set NOVU_WEBHOOK_SECRET_FILE to the file `bridge novu webhook setup` wrote"
                    )
                )
            }
            return found.isEmpty ? [.ok("webhook", "the endpoint for \(url) is enabled and sends every type the mapping uses")] : found
        }
    }

    static func poller(_ facts: DoctorFacts) -> [DoctorFinding] {
        guard facts.pollEnabled else {
            if facts.webhookSecretSet { return [] }
            return [
                .warning(
                    "poller",
                    "no feedback source: NOVU_WEBHOOK_SECRET is not set and the activity poller is off; set NOVU_POLL=auto (or on), or set up Novu's webhooks"
                )
            ]
        }
        var found = [DoctorFinding.ok("poller", "the activity poller is on: \(facts.follows?.followed ?? 0) transactions followed")]
        if let ended = facts.follows?.ended["retention"], ended > 0 {
            found.append(
                .warning(
                    "poller",
                    "\(ended) transactions stopped being followed at Novu's activity retention (402): lower NOVU_POLL_MAX_AGE to your plan's retention (Free 24h, Pro 7d)"
                )
            )
        }
        return found
    }

    static func store(_ facts: DoctorFacts) -> [DoctorFinding] {
        guard let feedback = facts.feedback else {
            return [.error("store", "the store could not be read (\(facts.storeProblem ?? "unknown")): check BRIDGE_DATA_DIR")]
        }
        var found: [DoctorFinding] = []
        let sent = feedback.feedback["message.sent/email", default: 0]
        let tracked =
            feedback.feedback["message.delivered/email", default: 0] + feedback.feedback["message.seen/email", default: 0]
            + feedback.feedback["message.read/email", default: 0] + feedback.feedback["message.clicked/email", default: 0]
        if sent > 0, tracked == 0 {
            found.append(
                .warning(
                    "email tracking",
                    "\(sent) email messages were sent in the last 24 h but none was delivered or seen: enable Email Activity Tracking on the email integration in Novu (Integrations Store → your email provider)"
                )
            )
        }
        if facts.webhookSecretSet, feedback.triggersDelivered > 0 {
            let silent = feedback.lastWebhookAt.map { facts.now.timeIntervalSince($0) > 86400 } ?? true
            if silent {
                found.append(
                    .warning(
                        "webhook traffic",
                        "\(feedback.triggersDelivered) triggers succeeded in the last 24 h but no webhook has arrived for 24 h: check the endpoint with `bridge novu webhook status`, or turn on the poller (NOVU_POLL=on)"
                    )
                )
            }
        }
        return found
    }
}
