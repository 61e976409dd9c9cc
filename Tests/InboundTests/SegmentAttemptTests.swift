import Delivery
import Foundation
import Inbound
import Logging
import TestSupport
import Testing

/// What a failed batch leaves with each of its events for the dead-letter queue.
@Suite("Segment batches, failed")
struct SegmentAttemptTests {
    func job(_ id: Int64) -> ClaimedJob {
        let event: JSONValue = [
            "type": "track", "event": "Email Delivered", "userId": .string("user-\(id)"), "messageId": .string("m-\(id)"),
        ]
        return ClaimedJob(id: id, destination: "segment", orderingKey: "user-\(id)", kind: "track", payload: event.encoded())
    }

    @Test("each event keeps its own part of a failed batch, not the whole batch", arguments: [400, 503])
    func ownPart(status: Int) async throws {
        let segment = try await FakeServer.start { _ in FakeResponse(status: status) }
        defer { segment.stop() }
        let logger = quietLogger()
        let destination = SegmentDestination(
            configuration: .init(writeKey: "wk-secret", baseURL: segment.baseURL),
            client: CurlHTTPClient(threads: 1),
            logger: logger
        )
        let jobs = (1...3).map(job)
        let reports = await destination.deliver(jobs)
        #expect(try await segment.waitForRequests(1).count == 1)  // one batch went out
        for (job, report) in zip(jobs, reports) {
            let request = try #require(report.request)
            #expect(request.hasPrefix("POST \(segment.baseURL)/v1/batch\n"))
            #expect(request.contains("(this event's part of a batch of 3 events)"))
            // Each kept the whole batch before: one failed attempt of 500 events wrote ~200 MB.
            for other in jobs { #expect(request.contains("\"m-\(other.id)\"") == (other.id == job.id)) }
            #expect(!request.contains("wk-secret"))
        }
        // Alone, the request is kept as sent.
        let alone = await destination.deliver([job(9)])
        #expect(alone[0].request?.contains("{\"batch\":[") == true)
    }
}
