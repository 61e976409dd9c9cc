import Delivery
import Foundation
import Logging

/// Sends queued Novu calls: singles concurrently, bulk triggers when a full batch is due.
package struct NovuDestination: DeliveryDestination {
    /// Where and how to reach Novu.
    package struct Configuration: Sendable {
        /// Novu secret key. Without it (and without `dryRun`) jobs are held, never dropped: ingest refuses
        /// new events while it is missing, and jobs queued before wait for it.
        package var apiKey: String?
        /// `BRIDGE_DRY_RUN=1`: requests are logged, not sent, and the jobs settle as `dry_run`.
        package var dryRun = false
        /// API base, `https://api.novu.co` or `https://eu.api.novu.co`.
        package var baseURL: String = "https://api.novu.co"
        /// Triggers due together are sent as one bulk request only when at least this many (≤ 100)
        /// are due: a bulk request costs 100 of Novu's rate-limit tokens whatever its size.
        package var bulkThreshold: Int = 100
        /// Per-request timeout.
        package var timeout: Duration = .seconds(30)
        /// Sent as `User-Agent`.
        package var userAgent: String = "novu-segment-bridge"
        /// With the activity poller on (`NOVU_POLL`): a trigger Novu acknowledged is followed, first
        /// looked at this long after (`NOVU_POLL_INTERVAL`). `nil`: nothing is followed.
        package var followAfter: Duration?

        package init(apiKey: String? = nil, baseURL: String = "https://api.novu.co", dryRun: Bool = false) {
            self.apiKey = apiKey
            self.baseURL = baseURL
            self.dryRun = dryRun
        }

        var notSending: NotSending? { NotSending.decide(credential: apiKey, dryRun: dryRun) }
    }

    /// Novu takes at most this many events in one bulk request.
    package static let bulkLimit = 100
    /// Larger bodies are refused before sending.
    package static let maxBodyBytes = 512 * 1024

    package let name = "novu"
    let configuration: Configuration
    let client: any HTTPClient
    let logger: Logger
    /// Which calls this process sends as v1, for Novu deployments without the v2 routes.
    package let versions: NovuAPIVersions

    package init(
        configuration: Configuration,
        client: any HTTPClient,
        logger: Logger,
        versions: NovuAPIVersions = NovuAPIVersions()
    ) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.versions = versions
    }

    /// How claimed jobs become requests: triggers share bulk requests of at most 100 events and 512 KB
    /// (`{"events":[…]}`; a stored call's size bounds its body's from above), when at least
    /// `bulkThreshold` are due together; other calls go alone.
    var planner: BatchPlanner {
        BatchPlanner(
            limits: BatchLimits(maxItems: Self.bulkLimit, maxBytes: Self.maxBodyBytes, envelopeBytes: #"{"events":[]}"#.utf8.count),
            minimumShared: min(max(configuration.bulkThreshold, 2), Self.bulkLimit),
            waitsForFullRequests: true,
            sharable: { $0.kind == NovuCall.Operation.trigger.rawValue }
        )
    }

    package func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]] { planner.plan(jobs) }

    /// While gathering, triggers that would not fill a bulk request wait for more.
    package func plan(_ jobs: [ClaimedJob], gathering: Bool) -> (requests: [[ClaimedJob]], waiting: [ClaimedJob]) {
        planner.plan(jobs, gathering: gathering)
    }

    /// A bulk request costs Novu 100 rate-limit tokens, whatever its size.
    package func cost(of jobs: [ClaimedJob]) -> Int { jobs.count > 1 ? Self.bulkLimit : 1 }

    package func deliver(_ jobs: [ClaimedJob]) async -> [AttemptResult] {
        var calls: [NovuCall.Stored] = []
        for job in jobs {
            guard let call = try? NovuCall.decode(job.payload) else {
                // Cannot happen for jobs this version queued; never retry what cannot be read.
                return jobs.map { _ in AttemptResult(.refused, reason: "unreadable job payload") }
            }
            calls.append(call)
        }
        let results = Self.acknowledging(
            jobs.count == 1 ? [await deliverSingle(jobs[0], calls[0])] : await deliverBulk(jobs, calls),
            calls: calls
        )
        guard let after = configuration.followAfter else { return results }
        return Self.following(results, calls: calls, firstLookAt: Date().addingTimeInterval(after.timeInterval))
    }

    /// Marks each trigger Novu acknowledged (not a dry run: Novu never saw it) for the funnel.
    static func acknowledging(_ results: [AttemptResult], calls: [NovuCall.Stored]) -> [AttemptResult] {
        zip(results, calls).map { result, call in
            guard call.operation == .trigger, case .delivered(let follow, _) = result.verdict else { return result }
            var acknowledged = result
            acknowledged.verdict = .delivered(follow: follow, acknowledged: call.transactionId)
            return acknowledged
        }
    }

    /// Marks each trigger Novu acknowledged as a transaction to follow (the relay records it only when
    /// the job settles delivered; a dry run sends nothing, so there is nothing to follow).
    static func following(_ results: [AttemptResult], calls: [NovuCall.Stored], firstLookAt: Date) -> [AttemptResult] {
        zip(results, calls).map { result, call in
            guard call.operation == .trigger, case .delivered(_, let acknowledged) = result.verdict else { return result }
            var followed = result
            let follow = Follow(transactionId: call.transactionId, firstLookAt: firstLookAt)
            followed.verdict = .delivered(follow: follow, acknowledged: acknowledged)
            return followed
        }
    }

    private func deliverSingle(_ job: ClaimedJob, _ call: NovuCall.Stored) async -> AttemptResult {
        let key = TransactionID.idempotencyKey(
            transactionId: call.transactionId,
            attempt: job.attempts + 1,
            previousStatus: job.lastStatus,
            previousKey: job.lastAttemptKey
        )
        let request = NovuRequest.make(call, idempotencyKey: key, configuration: configuration)
        // The request and the answer are kept only for a failed attempt (the dead-letter queue shows
        // them); a success does not pay for rendering them.
        if request.body.count > Self.maxBodyBytes {
            return AttemptResult(
                .refused,
                reason: "request body over 512 KB",
                attemptKey: key,
                request: request.redacted
            )
        }
        if let results = NotSending.results(
            configuration.notSending,
            count: 1,
            missing: "NOVU_API_KEY",
            attemptKey: key,
            logDryRun: { logDryRun(request, job: job) }
        ) {
            return results[0]
        }
        do {
            let exchange = try await exchange(call, idempotencyKey: key)
            var result = AttemptResult.answered(
                exchange.verdict.verdict,
                reason: exchange.verdict.reason,
                response: exchange.response,
                attemptKey: key,
                request: exchange.request.redacted,
                now: Date()
            )
            // The status recorded is the exchange's: the route that decided, after a fallback.
            result.answer?.status = exchange.status
            return result
        } catch {
            let sent = NovuRequest.make(outgoing(call), idempotencyKey: key, configuration: configuration)
            return .unanswered(error, attemptKey: key, request: sent.redacted)
        }
    }

    private func deliverBulk(_ jobs: [ClaimedJob], _ calls: [NovuCall.Stored]) async -> [AttemptResult] {
        let request = NovuRequest.makeBulk(calls, configuration: configuration)
        // Too big together; each alone may fit.
        if request.body.count > Self.maxBodyBytes { return await deliverEach(jobs, calls) }
        let notSending = configuration.notSending
        if let results = NotSending.results(
            notSending,
            count: jobs.count,
            missing: "NOVU_API_KEY",
            logDryRun: { logDryRun(request, job: jobs[0]) }
        ) {
            return results
        }
        do {
            let response = try await client.execute(request)
            let now = Date()
            if BatchPlanner.verdict(RetryPolicy.classify(status: response.status), forEachOf: calls.count) == .split {
                // Novu refuses a bulk request as a whole (400 when any event's payload does not match its
                // workflow's schema, 413, 422, …) and does not say which event. Judged together, one bad
                // event would dead-letter every other user's trigger in it. Each is retried at once
                // instead (a split), and the planner sends it alone: through the lane, so the rate
                // ceiling and the concurrency count it, and judged on its own answer. Nothing was
                // triggered; the ids dedupe anyway.
                logger.warning(
                    "Novu refused a bulk request as a whole; its events go one by one",
                    metadata: ["destination": "novu", "status": "\(response.status)", "events": "\(jobs.count)"]
                )
                return calls.map { call in
                    .answered(
                        .split,
                        reason: "bulk request refused (HTTP \(response.status)); each event goes alone",
                        response: response,
                        request: request.redacted(part: call.body, of: calls.count, in: "bulk request"),
                        now: now
                    )
                }
            }
            let verdicts = NovuAnswer.judgeBulk(status: response.status, body: response.body, count: jobs.count)
            return zip(verdicts, calls).map { verdict, call in
                .answered(
                    verdict.verdict,
                    reason: verdict.reason,
                    response: response,
                    request: request.redacted(part: call.body, of: calls.count, in: "bulk request"),
                    now: now
                )
            }
        } catch {
            return calls.map { .unanswered(error, request: request.redacted(part: $0.body, of: calls.count, in: "bulk request")) }
        }
    }

    /// Sends each job as a single request, concurrently, each judged on its own answer.
    private func deliverEach(_ jobs: [ClaimedJob], _ calls: [NovuCall.Stored]) async -> [AttemptResult] {
        await withTaskGroup(of: (Int, AttemptResult).self) { group in
            for (index, pair) in zip(jobs, calls).enumerated() {
                group.addTask { (index, await deliverSingle(pair.0, pair.1)) }
            }
            var results = [AttemptResult?](repeating: nil, count: jobs.count)
            for await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }

    private func logDryRun(_ request: HTTPClientRequest, job: ClaimedJob) {
        logger.info(
            "dry run: this request was logged instead of sent",
            metadata: [
                "destination": "novu",
                "job.id": "\(job.id)",
                "request": "\(request.redacted)",
            ]
        )
    }
}
