import Delivery
import Foundation
import Inbound
import JSON
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

    /// The real destination, sending to `segment` through libcurl.
    func destination(_ segment: FakeServer, writeKey: String) -> SegmentDestination {
        SegmentDestination(
            configuration: .init(writeKey: writeKey, baseURL: segment.baseURL),
            client: CurlHTTPClient(threads: 1),
            logger: quietLogger()
        )
    }

    @Test("each event keeps its own part of a failed batch, not the whole batch", arguments: [400, 503])
    func ownPart(status: Int) async throws {
        let segment = try await FakeServer.start { _ in FakeResponse(status: status) }
        defer { segment.stop() }
        let destination = destination(segment, writeKey: "wk-secret")
        let jobs = (1...3).map(job)
        let reports = await destination.deliver(jobs)
        #expect(try await segment.waitForRequests(1).count == 1)  // one batch went out
        try #require(reports.count == jobs.count)
        for (job, report) in zip(jobs, reports) {
            let request = try #require(report.request)
            #expect(request.hasPrefix("POST \(segment.baseURL)/v1/batch\n"))
            #expect(request.contains("(this event's part of a batch of 3 events)"))
            for other in jobs { #expect(request.contains("\"m-\(other.id)\"") == (other.id == job.id)) }
            #expect(!request.contains("wk-secret"))
        }
        // Alone, the request is kept as sent.
        let alone = await destination.deliver([job(9)])
        #expect(alone[0].request?.contains("{\"batch\":[") == true)
    }

    @Test("a batch refused as a whole (400) is retried, and its events then go alone; an event refused alone is dead")
    func refusedBatchSplits() async throws {
        let segment = try await FakeServer.start { request in
            // Segment refuses the batch holding the bad event, and the bad event alone.
            FakeResponse(status: String(decoding: request.body, as: UTF8.self).contains("\"m-2\"") ? 400 : 200)
        }
        defer { segment.stop() }
        let destination = destination(segment, writeKey: "wk")
        let jobs = (1...3).map(job)
        #expect(destination.plan(jobs).map { $0.map(\.id) } == [[1, 2, 3]])
        let results = await destination.deliver(jobs)
        #expect(results.map(\.verdict) == [.split, .split, .split])
        #expect(results.map(\.answer?.status) == [400, 400, 400])

        // Claimed again with that answer as their last: each goes alone, and only the bad one is refused.
        let retried = jobs.map { job -> ClaimedJob in
            var job = job
            job.lastStatus = 400
            return job
        }
        let units = destination.plan(retried)
        #expect(units.map { $0.map(\.id) } == [[1], [2], [3]])
        var verdicts: [Int64: AttemptResult.Verdict] = [:]
        for unit in units { verdicts[unit[0].id] = await destination.deliver(unit)[0].verdict }
        #expect(verdicts == [1: .delivered(), 2: .refused, 3: .delivered()])
        // A retryable answer (503) leaves events batchable.
        var busy = jobs
        for index in busy.indices { busy[index].lastStatus = 503 }
        #expect(destination.plan(busy).map { $0.map(\.id) } == [[1, 2, 3]])
    }

    @Test("an event for no one (a replayed 'no subscriber' dead letter) goes alone and is refused without a request")
    func forNoOne() async throws {
        let segment = try await FakeServer.start { _ in FakeResponse(status: 200) }
        defer { segment.stop() }
        let destination = destination(segment, writeKey: "wk")
        var nobody = job(2)
        nobody.orderingKey = nil
        let units = destination.plan([job(1), nobody, job(3)])
        #expect(units.map { $0.map(\.id) } == [[1, 3], [2]])
        let refused = await destination.deliver([nobody])
        #expect(refused.map(\.verdict) == [.refused])
        #expect(refused.map(\.reason) == ["no subscriber"])
        #expect(segment.requests.isEmpty)
    }
}
