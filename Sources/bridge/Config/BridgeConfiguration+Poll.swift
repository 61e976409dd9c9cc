import Delivery
import Foundation
import Inbound

/// The activity poller's settings (DESIGN §10): `NOVU_POLL`, `NOVU_POLL_INTERVAL`, `NOVU_POLL_MAX_INTERVAL`,
/// `NOVU_POLL_MAX_AGE`, `NOVU_POLL_MAX_RPS`.
struct PollSettings: Sendable, Equatable {
    enum Mode: String, Sendable { case auto, on, off }

    var mode: Mode = .auto
    var policy = PollPolicy()

    /// Whether the poller runs: `on`, or `auto` while Novu can be read (`NOVU_API_KEY`, no dry run) and
    /// no webhook secret says the webhooks bring the feedback.
    func enabled(apiKey: String?, webhookSecrets: [String], dryRun: Bool) -> Bool {
        switch mode {
        case .on: true
        case .off: false
        case .auto: apiKey != nil && webhookSecrets.isEmpty && !dryRun
        }
    }
}

extension BridgeConfiguration {
    /// Whether `bridge serve` runs the activity poller.
    var pollEnabled: Bool { poll.enabled(apiKey: novuAPIKey, webhookSecrets: novuWebhookSecrets, dryRun: dryRun) }

    static func loadPoll(_ reader: inout Reader, into config: inout BridgeConfiguration) {
        if let mode = reader.string("NOVU_POLL") {
            if let parsed = PollSettings.Mode(rawValue: mode.lowercased()) {
                config.poll.mode = parsed
            } else {
                reader.problem("NOVU_POLL", "expected auto, on or off, got '\(mode)'")
            }
        }
        var policy = config.poll.policy
        policy.interval = reader.duration("NOVU_POLL_INTERVAL", atLeast: .milliseconds(100)) ?? policy.interval
        policy.maxAge = reader.duration("NOVU_POLL_MAX_AGE", atLeast: .seconds(1)) ?? policy.maxAge
        policy.longestInterval = reader.duration("NOVU_POLL_MAX_INTERVAL", atLeast: .milliseconds(100)) ?? policy.longestInterval
        // A follow is pruned with its transaction's correlation (kept 30 days): following longer is not possible.
        if policy.maxAge > .seconds(30 * 86400) {
            reader.problem("NOVU_POLL_MAX_AGE", "must be at most 30d: a transaction's record, which the poller follows, is kept 30 days")
        }
        if policy.longestInterval < policy.interval {
            reader.problem("NOVU_POLL_MAX_INTERVAL", "must be at least NOVU_POLL_INTERVAL (\(DurationText.format(policy.interval)))")
        }
        policy.maxRequestsPerSecond = reader.rate("NOVU_POLL_MAX_RPS") ?? policy.maxRequestsPerSecond
        config.poll.policy = policy
        if config.poll.mode == .on, config.novuAPIKey == nil, !config.dryRun {
            reader.problem("NOVU_POLL", "on needs NOVU_API_KEY: the poller reads Novu's activity API with it")
        }
    }
}
