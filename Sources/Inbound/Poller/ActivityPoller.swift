import Delivery
import Foundation
import JSON
import Logging
import Metrics
import ServiceLifecycle

/// Feedback for Novu accounts without webhooks (DESIGN §10): follows the transactions the bridge
/// triggered through Novu's activity API and queues what changed as the Segment events the webhooks
/// would have made. A thin loop: `PollPolicy` decides timing and answers, `PollRound` what to commit.
package final class ActivityPoller: Service {
    package struct Configuration: Sendable {
        package var api: NovuActivityAPI
        package var policy = PollPolicy()
        /// Transactions per `GET /v1/messages`.
        package var batch = 100
        /// Pages of `GET /v1/messages` read for several transactions before they are asked about one
        /// at a time (and all that one alone has, for a single transaction).
        package var maxPages = 20
        /// Announced in `context.library.version`.
        package var libraryVersion = "0.1.0"
        /// Conversions are configured: funnel steps keep their subscriber.
        package var recordsUsers = false

        package init(api: NovuActivityAPI) { self.api = api }
    }

    let configuration: Configuration
    let names: FeedbackNames
    let store: any FollowStore
    let client: any HTTPClient
    let wake: @Sendable (String) -> Void
    /// `BRIDGE_MAX_STORE_BYTES`; `nil`: no cap.
    let capacity: StoreCapacity?
    let logger: Logger
    static let requests = CounterCache(label: "bridge_poll_requests_total")

    package init(
        configuration: Configuration,
        names: FeedbackNames,
        store: any FollowStore,
        client: any HTTPClient,
        wake: @escaping @Sendable (String) -> Void,
        capacity: StoreCapacity? = nil,
        logger: Logger
    ) {
        self.configuration = configuration
        self.names = names
        self.store = store
        self.client = client
        self.wake = wake
        self.capacity = capacity
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    /// What the loop carries from one round to the next.
    struct Pace {
        /// On the monotonic clock: a wall clock set back during a pause must not lengthen it.
        var pausedUntil: ContinuousClock.Instant?
        var failures = 0
        var bucket: TokenBucket
        var lastReason: String?
        /// The environment's identifier, asked for until Novu answers (`.some(nil)`: it would not say).
        var environment: String??
    }

    func loop() async {
        let policy = configuration.policy
        var pace = Pace(bucket: TokenBucket(ratePerSecond: policy.maxRequestsPerSecond, burst: 1, now: Date()))
        var figuresAt = Date.distantPast
        logger.info("activity poller started", metadata: ["interval": "\(policy.interval)", "max_age": "\(policy.maxAge)"])
        while !Task.isCancelled {
            if let until = pace.pausedUntil, until > ContinuousClock.now {
                try? await Task.sleep(until: until, clock: .continuous)
                continue
            }
            let now = Date()
            pace.pausedUntil = nil
            do {
                let due = try await store.dueFollows(now: now, limit: configuration.batch)
                // The gauges every few seconds, not every round: counting the follows reads an index whole.
                if now.timeIntervalSince(figuresAt) >= 5 {
                    figuresAt = now
                    Gauge(label: "bridge_poll_followed_transactions").record(try await store.followFigures().followed)
                }
                Gauge(label: "bridge_poll_lag_seconds").record(max(0, due.first.map { now.timeIntervalSince($0.nextLookAt) } ?? 0))
                guard !due.isEmpty else {
                    let next = try await store.nextFollowLook().map { $0.timeIntervalSince(now) } ?? policy.interval.timeInterval
                    await Self.sleep(min(max(next, 0.05), policy.interval.timeInterval))
                    continue
                }
                let pause = try await look(at: due, pace: &pace)
                // A shutdown cut the round short: nothing to report.
                if Task.isCancelled { break }
                note(pause, pace: &pace)
            } catch {
                if Task.isCancelled { break }
                // The round is not committed and will be taken again.
                let reason = (error as? StoreFull).map { "the store is full: \($0)" } ?? "the store failed: \(error)"
                note((now.addingTimeInterval(policy.interval.timeInterval), reason), pace: &pace)
            }
        }
    }

    /// Records how a round ended: a pause (logged once per reason), or a clean round.
    private func note(_ pause: (until: Date, reason: String)?, pace: inout Pace) {
        guard let pause else {
            if pace.lastReason != nil { logger.notice("activity poller reads Novu again") }
            pace.failures = 0
            pace.lastReason = nil
            return
        }
        pace.failures += 1
        pace.pausedUntil = ContinuousClock.now + .milliseconds(Int64(max(0, min(pause.until.timeIntervalSinceNow, 86400)) * 1000))
        if pace.lastReason != pause.reason {
            logger.warning("activity poller paused", metadata: ["reason": "\(pause.reason)", "until": "\(pause.until)"])
        }
        pace.lastReason = pause.reason
    }

    /// One round over `due`: reads, plans, commits. Returns a pause when Novu asked for one (or failed).
    /// Only transactions whose messages were read in full are planned; the others stay due as they were.
    func look(at due: [FollowedTransaction], pace: inout Pace) async throws -> (until: Date, reason: String)? {
        let policy = configuration.policy
        if pace.environment == nil {
            let answer = await send(configuration.api.environment(), endpoint: "environment", pace: &pace)
            switch answer.verdict {
            case .read: pace.environment = .some(NovuActivityAPI.environmentIdentifier(answer.body))
            // Novu will not say: the events go without it. No answer yet: asked again next round.
            case .refused, .beyondRetention: pace.environment = .some(nil)
            case .pause: break
            }
        }
        var round = PollRound(due: due, messages: [:])
        round.recordsUsers = configuration.recordsUsers
        round.environmentId = pace.environment ?? nil
        var read: Set<String> = []
        var pause: (until: Date, reason: String)?
        let since = Dictionary(due.map { ($0.transactionId, $0.since) }) { first, _ in first }
        var groups = [due.map(\.transactionId)]
        reading: while let group = groups.popLast() {
            var found: [String: [[String: JSONValue]]] = [:]
            var page = 0
            paging: while true {
                let answer = await send(configuration.api.messages(transactionIds: group, page: page), endpoint: "messages", pace: &pace)
                switch answer.verdict {
                case .read:
                    guard let body = NovuActivityAPI.page(answer.body) else {
                        pause = (Date().addingTimeInterval(policy.interval.timeInterval), "an unreadable answer to GET /v1/messages")
                        break reading
                    }
                    for case .object(let message) in body.data {
                        guard let id = message["transactionId"]?.stringValue, group.contains(id) else { continue }
                        found[id, default: []].append(PollRound.trimmed(message))
                    }
                    guard body.hasMore else { break paging }
                    if page + 1 >= configuration.maxPages {
                        // So many messages: one transaction at a time. One alone keeps what it could read.
                        if group.count > 1 {
                            groups += group.map { [$0] }
                            continue reading
                        }
                        break paging
                    }
                    page += 1
                case .beyondRetention where group.count > 1, .refused where group.count > 1:
                    // An answer for several transactions says nothing of each: asked about one by one.
                    groups += group.map { [$0] }
                    continue reading
                case .beyondRetention:
                    let age = since[group[0]].map { Date().timeIntervalSince($0) } ?? .infinity
                    guard age >= policy.shortestRetention.timeInterval else {
                        pause = (
                            Date().addingTimeInterval(policy.interval.timeInterval),
                            "Novu answered 402 for activity younger than any plan keeps"
                        )
                        break reading
                    }
                    round.beyondRetention.insert(group[0])
                    break paging
                case .refused(let status):
                    // Asked alone and refused: counted as a look with nothing in it, so it neither blocks
                    // the transactions behind it nor is dropped; its looks back off and end at the age limit.
                    logger.debug("Novu refused a look", metadata: ["transaction_id": "\(group[0])", "status": "\(status)"])
                    break paging
                case .pause(let until, let reason):
                    pause = (until, reason)
                    break reading
                }
            }
            round.messages.merge(found) { $0 + $1 }
            read.formUnion(group)
        }
        round.due = due.filter { read.contains($0.transactionId) }
        guard !round.due.isEmpty else { return pause }
        round.emitted = try await store.emittedChanges(transactionIds: round.due.map(\.transactionId))
        if pause == nil {
            pause = await readProviderEvents(into: &round, pace: &pace)
        }
        round.correlations = try await store.correlations(transactionIds: round.due.map(\.transactionId))
        let commit = round.plan(policy: policy, names: names, libraryVersion: configuration.libraryVersion, now: Date())
        // Like ingest, the poller adds nothing while the store is over BRIDGE_MAX_STORE_BYTES.
        if !commit.jobs.isEmpty { try await capacity?.admit() }
        let results = try await store.commit(commit)
        if results.contains(where: { if case .accepted = $0 { true } else { false } }) { wake("segment") }
        return pause
    }

    /// Reads the activity feed of each transaction with an email that may still be opened or clicked,
    /// within `providerEventsWindow` of its trigger. A pause leaves the transactions not yet read
    /// unfinished: their looks are taken again after it.
    private func readProviderEvents(into round: inout PollRound, pace: inout Pace) async -> (until: Date, reason: String)? {
        let window = configuration.policy.providerEventsWindow.timeInterval
        var pause: (until: Date, reason: String)?
        for follow in round.due where Date().timeIntervalSince(follow.since) < window {
            let messages = round.messages[follow.transactionId] ?? []
            let wanted = messages.contains { message in
                ActivityChange.wantsProviderEvents(
                    message: message,
                    emitted: message["_id"]?.stringValue.flatMap { round.emitted[$0] } ?? []
                )
            }
            guard wanted else { continue }
            if pause != nil {
                round.unfinished.insert(follow.transactionId)
                continue
            }
            let answer = await send(
                configuration.api.notifications(transactionId: follow.transactionId),
                endpoint: "notifications",
                pace: &pace
            )
            switch answer.verdict {
            case .read:
                guard let read = NovuActivityAPI.page(answer.body) else { continue }
                round.providerChanges.merge(ProviderEvents.changes(notifications: read.data, messages: messages)) { $0 + $1 }
            case .beyondRetention, .refused:
                continue
            case .pause(let until, let reason):
                pause = (until, reason)
                round.unfinished.insert(follow.transactionId)
            }
        }
        return pause
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
            // Shutdown: not a failure of Novu's, and the round ends here.
            if error.cancelled { return (.pause(until: now, reason: "shutting down"), Data()) }
            Self.requests.increment([("endpoint", endpoint), ("status", "none")])
            return (configuration.policy.verdict(status: nil, headers: [:], failures: pace.failures, now: now), Data())
        }
    }

    /// Sleeps, or returns early when the task is cancelled (shutdown).
    static func sleep(_ seconds: TimeInterval) async {
        try? await Task.sleep(for: .milliseconds(Int64(max(0, min(seconds, 86400)) * 1000)))
    }
}
