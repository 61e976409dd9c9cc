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

    /// Segment's limits, as its own libraries keep them (analytics-python): an event of at most 32 KiB, a
    /// batch body of at most 475,000 bytes — under the API's 500 KB with room for the envelope — and 2,500 events.
    package static let batchLimits = BatchLimits(maxItems: 2500, maxBytes: 475_000, envelopeBytes: 64, maxItemBytes: 32 * 1024)
    /// Segment drops an event over this many bytes.
    package static var maxEventBytes: Int { batchLimits.maxItemBytes ?? 0 }

    /// Events share batches, but for one that cannot be sent at all (see `unsendable`): it goes alone and
    /// is refused without a request.
    static let planner = BatchPlanner(limits: batchLimits, sharable: { unsendable($0) == nil })

    package func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]] { Self.planner.plan(jobs) }

    /// Why `job` can never be sent, or `nil`: an event over Segment's limit, or one for no one (a replayed
    /// "no subscriber" dead letter), which Segment would answer 200 and drop.
    static func unsendable(_ job: ClaimedJob) -> String? {
        if job.payload.count > maxEventBytes { return "event over 32 KB" }
        if job.orderingKey == nil { return "no subscriber" }
        return nil
    }

    package func deliver(_ jobs: [ClaimedJob]) async -> [AttemptResult] {
        if jobs.count == 1, let reason = Self.unsendable(jobs[0]) { return [AttemptResult(.refused, reason: reason)] }
        let request = makeRequest(jobs)
        let notSending = NotSending.decide(credential: configuration.writeKey, dryRun: configuration.dryRun)
        if let results = NotSending.results(
            notSending,
            count: jobs.count,
            missing: "SEGMENT_WRITE_KEY",
            logDryRun: {
                logger.info(
                    "dry run: this batch was logged instead of sent",
                    metadata: ["destination": "segment", "events": "\(jobs.count)", "request": "\(request.redacted)"]
                )
            }
        ) {
            return results
        }
        do {
            let response = try await client.execute(request)
            // A batch refused as a whole (400, 413, …) may hold one bad event among good ones (the split rule).
            let verdict = BatchPlanner.verdict(RetryPolicy.classify(status: response.status), forEachOf: jobs.count)
            let reason = verdict.isDelivered ? "delivered" : "HTTP \(response.status)"
            return jobs.map { job in
                .answered(
                    verdict,
                    reason: reason,
                    response: response,
                    request: request.redacted(part: job.payload, of: jobs.count, in: "batch"),
                    now: now()
                )
            }
        } catch {
            return jobs.map { .unanswered(error, request: request.redacted(part: $0.payload, of: jobs.count, in: "batch")) }
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
}
