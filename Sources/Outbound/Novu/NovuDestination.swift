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

    /// Whether `job` may go out in a bulk request: a trigger whose last answer was not a permanent refusal.
    /// A bulk request refused as a whole says nothing of which event was wrong, so its events are sent
    /// alone afterwards, each judged on its own answer; so is a replayed dead letter.
    static func isBulkable(_ job: ClaimedJob) -> Bool {
        guard job.kind == NovuCall.Operation.trigger.rawValue else { return false }
        guard let status = job.lastStatus else { return true }
        return RetryPolicy.classify(status: status) != .refused
    }

    package func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]] {
        let threshold = min(max(configuration.bulkThreshold, 2), Self.bulkLimit)
        let triggers = jobs.filter(Self.isBulkable)
        var units = jobs.filter { !Self.isBulkable($0) }.map { [$0] }
        for chunk in Self.chunks(triggers) {
            if chunk.count >= threshold { units.append(chunk) } else { units.append(contentsOf: chunk.map { [$0] }) }
        }
        return units
    }

    /// `triggers` in order, cut into bulk requests of at most 100 events and 512 KB: a request over the
    /// size limit would have to be split into singles after it was planned and charged as one.
    static func chunks(_ triggers: [ClaimedJob]) -> [[ClaimedJob]] {
        // A payload holds a header line before the body, so its size bounds the body's from above.
        let room = maxBodyBytes - "{\"events\":[]}".utf8.count
        var chunks: [[ClaimedJob]] = []
        var current: [ClaimedJob] = []
        var bytes = 0
        for job in triggers {
            let size = job.payload.count + (current.isEmpty ? 0 : 1)
            if !current.isEmpty, current.count == bulkLimit || bytes + size > room {
                chunks.append(current)
                (current, bytes) = ([], 0)
            }
            current.append(job)
            bytes += current.count == 1 ? job.payload.count : size
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
    }

    /// While gathering, triggers that would not fill a bulk request wait for more.
    package func plan(_ jobs: [ClaimedJob], gathering: Bool) -> (requests: [[ClaimedJob]], waiting: [ClaimedJob]) {
        let partial = jobs.count(where: Self.isBulkable) % Self.bulkLimit
        guard gathering, partial > 0 else { return (plan(jobs), []) }
        // The newest triggers wait: the held ones come first in `jobs` and fill the full batches.
        let waiting = Array(jobs.filter(Self.isBulkable).suffix(partial))
        let waitingIds = Set(waiting.map(\.id))
        return (plan(jobs.filter { !waitingIds.contains($0.id) }), waiting)
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
                request: NovuRequest.redacted(request)
            )
        }
        switch configuration.notSending {
        case .dryRun?:
            logDryRun(request, job: job)
            return AttemptResult(.dryRun, reason: "dry run", attemptKey: key)
        case .missingCredential?:
            return NotSending.held(missing: "NOVU_API_KEY")
        case nil:
            break
        }
        do {
            let exchange = try await exchange(call, idempotencyKey: key)
            let (response, verdict) = (exchange.response, exchange.verdict)
            let failed = !verdict.verdict.isDelivered
            return AttemptResult(
                verdict.verdict,
                reason: verdict.reason,
                answer: AttemptResult.Answer(
                    status: exchange.status,
                    excerpt: failed ? responseExcerpt(response.body) : nil,
                    retryAfter: RetryAfter.parse(response.headers["retry-after"], now: Date())
                ),
                attemptKey: key,
                request: failed ? NovuRequest.redacted(exchange.request) : nil,
                pauseUntil: RateLimitHeaders.pause(response.headers, now: Date())
            )
        } catch {
            return AttemptResult(
                error.cancelled ? .abandoned : .retry,
                reason: error.message,
                attemptKey: key,
                request: NovuRequest.redacted(NovuRequest.make(outgoing(call), idempotencyKey: key, configuration: configuration))
            )
        }
    }

    private func deliverBulk(_ jobs: [ClaimedJob], _ calls: [NovuCall.Stored]) async -> [AttemptResult] {
        let request = NovuRequest.makeBulk(calls, configuration: configuration)
        // Too big together; each alone may fit.
        if request.body.count > Self.maxBodyBytes { return await deliverEach(jobs, calls) }
        switch configuration.notSending {
        case .dryRun?:
            logDryRun(request, job: jobs[0])
            return jobs.map { _ in AttemptResult(.dryRun, reason: "dry run") }
        case .missingCredential?:
            return jobs.map { _ in NotSending.held(missing: "NOVU_API_KEY") }
        case nil:
            break
        }
        do {
            let response = try await client.execute(request)
            let retryAfter = RetryAfter.parse(response.headers["retry-after"], now: Date())
            let pause = RateLimitHeaders.pause(response.headers, now: Date())
            if RetryPolicy.classify(status: response.status) == .refused {
                // Novu refuses a bulk request as a whole (400 when any event's payload does not match its
                // workflow's schema, 413, 422, …) and does not say which event. Judged together, one bad
                // event would dead-letter every other user's trigger in it. Each is retried at once
                // instead (a split), and `isBulkable` sends it alone: through the lane, so the rate
                // ceiling and the concurrency count it, and judged on its own answer. Nothing was
                // triggered; the ids dedupe anyway.
                logger.warning(
                    "Novu refused a bulk request as a whole; its events go one by one",
                    metadata: ["destination": "novu", "status": "\(response.status)", "events": "\(jobs.count)"]
                )
                let answer = AttemptResult.Answer(
                    status: response.status,
                    excerpt: responseExcerpt(response.body),
                    retryAfter: retryAfter
                )
                return calls.map { call in
                    AttemptResult(
                        .split,
                        reason: "bulk request refused (HTTP \(response.status)); each event goes alone",
                        answer: answer,
                        request: NovuRequest.redacted(request, part: call.body, of: calls.count),
                        pauseUntil: pause
                    )
                }
            }
            let verdicts = NovuAnswer.judgeBulk(status: response.status, body: response.body, count: jobs.count)
            let failed = verdicts.contains { !$0.verdict.isDelivered }
            let excerpt = failed ? responseExcerpt(response.body) : nil
            return zip(verdicts, calls).map { verdict, call in
                let failed = !verdict.verdict.isDelivered
                return AttemptResult(
                    verdict.verdict,
                    reason: verdict.reason,
                    answer: AttemptResult.Answer(status: response.status, excerpt: failed ? excerpt : nil, retryAfter: retryAfter),
                    request: failed ? NovuRequest.redacted(request, part: call.body, of: calls.count) : nil,
                    pauseUntil: pause
                )
            }
        } catch {
            return calls.map { call in
                AttemptResult(
                    error.cancelled ? .abandoned : .retry,
                    reason: error.message,
                    request: NovuRequest.redacted(request, part: call.body, of: calls.count)
                )
            }
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
                "request": "\(NovuRequest.redacted(request))",
            ]
        )
    }
}
