import Delivery
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Feedback for Novu accounts without webhooks (DESIGN §10): follows the transactions the bridge
/// triggered through Novu's activity API and queues what changed as the Segment events the webhooks
/// would have made. A thin loop: `PollPolicy` decides timing and answers, `PollRound` what to commit.
public final class ActivityPoller: Service {
    public struct Configuration: Sendable {
        public var api: NovuActivityAPI
        public var policy = PollPolicy()
        /// Transactions per `GET /v1/messages`.
        public var batch = 100
        /// Announced in `context.library.version`.
        public var libraryVersion = "0.1.0"

        public init(api: NovuActivityAPI) { self.api = api }
    }

    let configuration: Configuration
    let names: FeedbackNames
    let store: any FollowStore
    let client: any HTTPClient
    let wake: @Sendable (String) -> Void
    let logger: Logger
    static let requests = CounterCache(label: "bridge_poll_requests_total")

    public init(
        configuration: Configuration,
        names: FeedbackNames,
        store: any FollowStore,
        client: any HTTPClient,
        wake: @escaping @Sendable (String) -> Void,
        logger: Logger
    ) {
        self.configuration = configuration
        self.names = names
        self.store = store
        self.client = client
        self.wake = wake
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    /// What the loop carries from one round to the next.
    struct Pace {
        var pausedUntil: Date?
        var failures = 0
        var bucket: TokenBucket
        var lastReason: String?
    }

    func loop() async {
        let policy = configuration.policy
        var pace = Pace(bucket: TokenBucket(ratePerSecond: policy.maxRequestsPerSecond, burst: 1, now: Date()))
        logger.info("activity poller started", metadata: ["interval": "\(policy.interval)", "max_age": "\(policy.maxAge)"])
        while !Task.isCancelled {
            let now = Date()
            if let until = pace.pausedUntil, until > now {
                await Self.sleep(until.timeIntervalSince(now))
                continue
            }
            pace.pausedUntil = nil
            do {
                let due = try await store.dueFollows(now: now, limit: configuration.batch)
                let figures = try await store.followFigures()
                Gauge(label: "bridge_poll_followed_transactions").record(figures.followed)
                Gauge(label: "bridge_poll_lag_seconds").record(max(0, due.first.map { now.timeIntervalSince($0.nextLookAt) } ?? 0))
                guard !due.isEmpty else {
                    let next = figures.nextLookAt.map { $0.timeIntervalSince(now) } ?? policy.interval.timeInterval
                    await Self.sleep(min(max(next, 0.05), policy.interval.timeInterval))
                    continue
                }
                if let pause = try await look(at: due, pace: &pace) {
                    pace.failures += 1
                    pace.pausedUntil = pause.until
                    if pace.lastReason != pause.reason {
                        logger.warning(
                            "activity poller paused",
                            metadata: ["reason": "\(pause.reason)", "until": "\(pause.until)"]
                        )
                    }
                    pace.lastReason = pause.reason
                } else {
                    if pace.lastReason != nil { logger.notice("activity poller reads Novu again") }
                    pace.failures = 0
                    pace.lastReason = nil
                }
            } catch {
                // The store failed: the round is not committed and will be taken again.
                logger.error("activity poller could not use the store", metadata: ["error": "\(error)"])
                pace.pausedUntil = now.addingTimeInterval(policy.interval.timeInterval)
            }
        }
    }

    /// One round over `due`: reads, plans, commits. Returns a pause when Novu asked for one (or failed);
    /// what was read before it is committed all the same.
    func look(at due: [FollowedTransaction], pace: inout Pace) async throws -> (until: Date, reason: String)? {
        let ids = due.map(\.transactionId)
        var round = PollRound(due: due, messages: [:])
        var pause: (until: Date, reason: String)?
        // A 402 for several transactions says nothing of each: they are asked about one by one.
        var groups = [ids]
        reading: while let group = groups.popLast() {
            var page = 0
            while true {
                let answer = await send(configuration.api.messages(transactionIds: group, page: page), endpoint: "messages", pace: &pace)
                switch answer.verdict {
                case .read:
                    guard let read = NovuActivityAPI.page(answer.body) else {
                        pause = (Date().addingTimeInterval(configuration.policy.interval.timeInterval), "unreadable answer")
                        break reading
                    }
                    for case .object(let message) in read.data {
                        guard let id = message["transactionId"]?.stringValue, group.contains(id) else { continue }
                        round.messages[id, default: []].append(message)
                    }
                    guard read.hasMore, page < 20 else { continue reading }
                    page += 1
                case .beyondRetention:
                    if group.count == 1 { round.beyondRetention.insert(group[0]) } else { groups += group.map { [$0] } }
                    continue reading
                case .pause(let until, let reason):
                    // Nothing read for this group: its transactions are looked at again after the pause.
                    round.due.removeAll { group.contains($0.transactionId) }
                    pause = (until, reason)
                    break reading
                }
            }
        }
        round.emitted = try await store.emittedChanges(transactionIds: round.due.map(\.transactionId))
        if pause == nil {
            pause = await readProviderEvents(into: &round, pace: &pace)
        }
        round.correlations = try await store.correlations(transactionIds: round.due.map(\.transactionId))
        let commit = round.plan(
            policy: configuration.policy,
            names: names,
            libraryVersion: configuration.libraryVersion,
            now: Date()
        )
        let results = try await store.commit(commit)
        if results.contains(where: { if case .accepted = $0 { true } else { false } }) { wake("segment") }
        return pause
    }

    /// Reads the activity feed of each transaction with an email that may still be opened or clicked.
    private func readProviderEvents(into round: inout PollRound, pace: inout Pace) async -> (until: Date, reason: String)? {
        for follow in round.due {
            let messages = round.messages[follow.transactionId] ?? []
            let wanted = messages.contains { message in
                ActivityChange.wantsProviderEvents(
                    message: message,
                    emitted: message["_id"]?.stringValue.flatMap { round.emitted[$0] } ?? []
                )
            }
            guard wanted else { continue }
            let answer = await send(
                configuration.api.notifications(transactionId: follow.transactionId),
                endpoint: "notifications",
                pace: &pace
            )
            switch answer.verdict {
            case .read:
                guard let read = NovuActivityAPI.page(answer.body) else { continue }
                round.providerChanges.merge(ProviderEvents.changes(notifications: read.data, messages: messages)) { $0 + $1 }
            case .beyondRetention:
                continue
            case .pause(let until, let reason):
                return (until, reason)
            }
        }
        return nil
    }

    /// Sends one request at the allowed pace and judges its answer.
    private func send(_ request: HTTPClientRequest, endpoint: String, pace: inout Pace) async -> (verdict: PollPolicy.Verdict, body: Data) {
        let wait = pace.bucket.reserve(cost: 1, now: Date())
        if wait > 0 { await Self.sleep(wait) }
        let now = Date()
        do {
            let response = try await client.execute(request)
            Self.requests.increment([("endpoint", endpoint), ("status", String(response.status))])
            let allowed = configuration.policy.requestsPerSecond(announced: response.headers)
            if allowed != pace.bucket.rate { pace.bucket = TokenBucket(ratePerSecond: allowed, burst: 1, now: now) }
            let verdict = configuration.policy.verdict(
                status: response.status,
                headers: response.headers,
                failures: pace.failures,
                now: now
            )
            return (verdict, response.body)
        } catch {
            Self.requests.increment([("endpoint", endpoint), ("status", "none")])
            return (configuration.policy.verdict(status: nil, headers: [:], failures: pace.failures, now: now), Data())
        }
    }

    /// Sleeps, or returns early when the task is cancelled (shutdown).
    static func sleep(_ seconds: TimeInterval) async {
        try? await Task.sleep(for: .milliseconds(Int64(max(0, min(seconds, 86400)) * 1000)))
    }
}
