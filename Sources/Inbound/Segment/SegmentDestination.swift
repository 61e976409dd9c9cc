import Delivery
import Foundation
import Logging

/// Sends feedback events to Segment's Tracking API in packed `/v1/batch` requests.
package struct SegmentDestination: DeliveryDestination {
    package struct Configuration: Sendable {
        /// `SEGMENT_WRITE_KEY`. Without it (and without `dryRun`) jobs are held, never dropped.
        package var writeKey: String?
        /// `BRIDGE_DRY_RUN=1`: batches are logged, not sent, and the jobs settle as `dry_run`.
        package var dryRun = false
        /// `https://api.segment.io` or `https://events.eu1.segmentapis.com`.
        package var baseURL: String = "https://api.segment.io"
        package var timeout: Duration = .seconds(30)
        package var userAgent: String = "novu-segment-bridge"

        package init(writeKey: String? = nil, baseURL: String = "https://api.segment.io", dryRun: Bool = false) {
            self.writeKey = writeKey
            self.baseURL = baseURL
            self.dryRun = dryRun
        }
    }

    package let name = "segment"
    let configuration: Configuration
    let client: any HTTPClient
    let logger: Logger
    let now: @Sendable () -> Date

    package init(
        configuration: Configuration,
        client: any HTTPClient,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.now = now
    }

    package func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]] {
        // Events without a user (a replayed "no subscriber" dead letter) go alone and are refused in
        // `deliver`: Segment would answer 200 and drop them. So do events whose last answer was a
        // permanent refusal (see `deliver`): a batch refused as a whole does not say which event it was.
        let batchable = { (job: ClaimedJob) in
            !job.orderingKey.isEmpty && job.lastStatus.map { RetryPolicy.classify(status: $0) != .refused } ?? true
        }
        let sendable = jobs.filter(batchable)
        let packed = BatchPacker.pack(sizes: sendable.map(\.payload.count))
        return packed.batches.map { $0.map { sendable[$0] } } + packed.oversize.map { [sendable[$0]] }
            + jobs.filter { !batchable($0) }.map { [$0] }
    }

    package func deliver(_ jobs: [ClaimedJob]) async -> [AttemptResult] {
        if jobs.count == 1, jobs[0].payload.count > BatchPacker.maxEventBytes {
            return [AttemptResult(.refused, reason: "event over 32 KB")]
        }
        if jobs.count == 1, jobs[0].orderingKey.isEmpty {
            return [AttemptResult(.refused, reason: "no subscriber")]
        }
        let request = makeRequest(jobs)
        switch NotSending.decide(credential: configuration.writeKey, dryRun: configuration.dryRun) {
        case .dryRun?:
            logger.info(
                "dry run: this batch was logged instead of sent",
                metadata: ["destination": "segment", "events": "\(jobs.count)", "request": "\(redacted(request))"]
            )
            return jobs.map { _ in AttemptResult(.dryRun, reason: "dry run") }
        case .missingCredential?:
            return jobs.map { _ in NotSending.held(missing: "SEGMENT_WRITE_KEY") }
        case nil:
            break
        }
        do {
            let response = try await client.execute(request)
            var verdict = RetryPolicy.classify(status: response.status)
            // A batch refused as a whole (400, 413, …) may hold one bad event among good ones: each is
            // retried at once (a split) and goes alone (`plan`), so only a bad one is dead-lettered.
            if verdict == .refused, jobs.count > 1 { verdict = .split }
            // The request and the answer are kept only for a failed attempt.
            let failed = !verdict.isDelivered
            let answer = AttemptResult.Answer(
                status: response.status,
                excerpt: failed ? responseExcerpt(response.body) : nil,
                retryAfter: RetryAfter.parse(response.headers["retry-after"], now: now())
            )
            let pause = RateLimitHeaders.pause(response.headers, now: now())
            return jobs.map { job in
                AttemptResult(
                    verdict,
                    reason: failed ? "HTTP \(response.status)" : "delivered",
                    answer: answer,
                    request: failed ? redacted(request, part: job, of: jobs.count) : nil,
                    pauseUntil: pause
                )
            }
        } catch {
            return jobs.map { job in
                AttemptResult(
                    error.cancelled ? .abandoned : .retry,
                    reason: error.message,
                    request: redacted(request, part: job, of: jobs.count)
                )
            }
        }
    }

    /// `POST /v1/batch` with the events' stored JSON spliced in as is. A job holds one event, or several
    /// comma-separated (`track.batch`, the announcer's: at most 100 and 30 KB, so a packed request stays
    /// under Segment's 2,500 events as its 475 KB bound keeps it to 15 such jobs).
    package func makeRequest(_ jobs: [ClaimedJob]) -> HTTPClientRequest {
        var body = Data("{\"batch\":[".utf8)
        for (index, job) in jobs.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(job.payload)
        }
        body.append(contentsOf: Array("],\"sentAt\":\"\(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(now()))\"}".utf8))
        let credentials = Data("\(configuration.writeKey ?? ""):".utf8).base64EncodedString()
        let base = configuration.baseURL.hasSuffix("/") ? String(configuration.baseURL.dropLast()) : configuration.baseURL
        return HTTPClientRequest(
            method: "POST",
            url: base + "/v1/batch",
            headers: [
                ("Authorization", "Basic \(credentials)"), ("Content-Type", "application/json"),
                ("User-Agent", configuration.userAgent),
            ],
            body: body,
            timeout: configuration.timeout
        )
    }

    private func redacted(_ request: HTTPClientRequest) -> String {
        redactedHead(request) + String(decoding: request.body, as: UTF8.self)
    }

    /// The request as kept with one event's failed attempt: the request line and headers as sent (the key
    /// redacted), and, from a batch, only this event's part of the body. Each event keeps its own
    /// attempt rows; with the whole batch in each, one failed attempt of 500 queued events wrote ~200 MB.
    private func redacted(_ request: HTTPClientRequest, part job: ClaimedJob, of count: Int) -> String {
        guard count > 1 else { return redacted(request) }
        return redactedHead(request) + "(this event's part of a batch of \(count) events)\n"
            + String(decoding: job.payload, as: UTF8.self)
    }

    private func redactedHead(_ request: HTTPClientRequest) -> String {
        var lines = ["\(request.method) \(request.url)"]
        for header in request.headers {
            lines.append("\(header.name): \(header.name == "Authorization" ? "Basic [redacted]" : header.value)")
        }
        return lines.joined(separator: "\n") + "\n\n"
    }
}
