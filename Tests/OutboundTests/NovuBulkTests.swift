import Delivery
import Foundation
import JSON
import Outbound
import TestSupport
import Testing

@Suite("Novu bulk requests refused as a whole")
struct NovuBulkTests {
    /// Six users' triggers, queued at once; user 3's workflow payload is one Novu refuses.
    static let events: [JSONValue] = (0..<6).map { index in
        [
            "type": "track", "event": "E", "messageId": .string("bulk-\(index)"), "userId": .string("user-\(index)"),
            "properties": [
                "environment": "development", "name": index == 3 ? "broken" : "wf",
                "user": ["subscriberId": .string("user-\(index)")],
            ],
        ]
    }

    @Test("a 400 to a bulk request sends each event alone: only the bad one is dead-lettered")
    func refusedBulkFallsBackToSingles() async throws {
        var options = OutboundHarness.Options()
        options.bulkThreshold = 5
        // Novu's answer to a bulk request when any event's payload fails its workflow's schema: a 400 for
        // the whole request, which does not say which event.
        let harness = try await OutboundHarness(options: options) { request in
            let events = request.path == "/v1/events/trigger/bulk" ? request.json["events"]?.arrayValue ?? [] : [request.json]
            guard events.contains(where: { $0["name"] == "broken" }) else {
                return request.path == "/v1/events/trigger/bulk"
                    ? novuBulkProcessed(events.count)
                    : novuProcessed
            }
            // The refusal also says the rate limit is spent for a second: the singles must wait for it.
            var refusal = FakeResponse(status: 400, json: ["message": "Payload validation failed", "statusCode": 400])
            refusal.headers.merge(["ratelimit-remaining": "0", "ratelimit-reset": "1"]) { $1 }
            return refusal
        }
        defer { harness.stop() }
        #expect(counts(try await harness.post(json: .array(Self.events)).json) == (6, 0, 0, 0))
        try await harness.drained()
        let bulk = harness.novuRequests("/v1/events/trigger/bulk")
        #expect(bulk.count == 1)
        let singles = harness.novuRequests("/v1/events/trigger")
        #expect(singles.count == 6)
        // They went through the lane, which kept to the pause the refusal asked for.
        let refused = try #require(bulk.first?.at)
        let first = try #require(singles.map(\.at).min())
        #expect(first - refused >= .milliseconds(900), "the singles went \(first - refused) after the refusal")
        #expect(Set(singles.compactMap { $0.json["transactionId"]?.stringValue }) == Set((0..<6).map { "seg-bulk-\($0)" }))
        #expect(try await harness.store.stateCounts() == ["delivered": 5, "dead": 1])
        let dead = try await harness.store.deadLetters(DeadLetterFilter())
        #expect(dead.map(\.user) == ["user-3"])
        #expect(dead.first?.reason == "HTTP 400")
    }

    /// `count` claimed triggers of distinct users; `lastStatus` gives each one's last answer.
    static func triggers(_ count: Int, lastStatus: (Int) -> Int? = { _ in nil }) -> [ClaimedJob] {
        (0..<count).map { index in
            ClaimedJob(
                id: Int64(index),
                destination: "novu",
                orderingKey: "u\(index)",
                kind: "trigger",
                payload: Data(),
                attempts: lastStatus(index) == nil ? 0 : 1,
                createdAt: Date(),
                firstAttemptAt: nil,
                lastStatus: lastStatus(index),
                lastAttemptKey: nil
            )
        }
    }

    @Test("a bulk request costs 100 of Novu's rate-limit tokens whatever its size; a single costs 1")
    func cost() throws {
        let destination = NovuDestination(
            configuration: .init(apiKey: "k"),
            client: CurlHTTPClient(threads: 1),
            logger: quietLogger("bulk-cost")
        )
        #expect(destination.cost(of: Self.triggers(1)) == 1)
        #expect(destination.cost(of: Self.triggers(2)) == 100)
        #expect(destination.cost(of: Self.triggers(100)) == 100)
    }

    @Test("a trigger last refused with a permanent answer (a refused bulk, a replayed dead letter) is planned alone")
    func refusedTriggersGoAlone() {
        var configuration = NovuDestination.Configuration(apiKey: "k")
        configuration.bulkThreshold = 5
        let destination = NovuDestination(configuration: configuration, client: CurlHTTPClient(threads: 1), logger: quietLogger("plan"))
        // Job 0 was refused with a 400, 1 with a 503, 2 with a 429; the rest were never tried.
        let jobs = Self.triggers(100) { [400, 503, 429][safe: $0] }
        let units = destination.plan(jobs)
        // Job 0 (400) alone; 1 (503) and 2 (429) may share a bulk request with the 97 never tried.
        #expect(units.filter { $0.count == 1 }.map { $0[0].id } == [0])
        #expect(units.filter { $0.count > 1 }.map(\.count) == [99])
        let (requests, waiting) = destination.plan(jobs, gathering: true)
        #expect(requests.filter { $0.count == 1 }.map { $0[0].id } == [0])
        #expect(waiting.count == 99)
    }

    @Test("bulk requests are cut at 100 events and at 512 KB, in order")
    func chunks() {
        var configuration = NovuDestination.Configuration(apiKey: "k")
        configuration.bulkThreshold = 2
        let destination = NovuDestination(configuration: configuration, client: CurlHTTPClient(threads: 1), logger: quietLogger("chunks"))
        #expect(destination.plan(Self.triggers(250)).map(\.count) == [100, 100, 50])
        // 100 KB payloads: five fit in 512 KB, the sixth starts the next request.
        let large = Self.triggers(12).map { job -> ClaimedJob in
            var job = job
            job.payload = Data(repeating: 0x20, count: 100 * 1024)
            return job
        }
        let units = destination.plan(large)
        #expect(units.map(\.count) == [5, 5, 2])
        #expect(units.flatMap { $0 }.map { $0.id } == large.map { $0.id })
    }

    @Test("a retryable answer to a bulk request (503) keeps the events together for the next attempt")
    func retryableBulkStaysBulk() async throws {
        var options = OutboundHarness.Options()
        options.bulkThreshold = 5
        let answered = Locked(0)
        let harness = try await OutboundHarness(options: options) { request in
            guard request.path == "/v1/events/trigger/bulk" else { return novuProcessed }
            let first = answered.withLock { count in
                count += 1
                return count == 1
            }
            if first { return FakeResponse(status: 503, headers: ["retry-after": "1"]) }
            let events = request.json["events"]?.arrayValue ?? []
            return novuBulkProcessed(events.count)
        }
        defer { harness.stop() }
        let events = Self.events.map { event -> JSONValue in
            guard case .object(var fields) = event, case .object(var properties) = fields["properties"] else { return event }
            properties["name"] = "wf"
            fields["properties"] = .object(properties)
            return .object(fields)
        }
        #expect(counts(try await harness.post(json: .array(events)).json) == (6, 0, 0, 0))
        try await harness.drained()
        #expect(harness.novuRequests("/v1/events/trigger").isEmpty)
        #expect(harness.novuRequests("/v1/events/trigger/bulk").count == 2)
        #expect(try await harness.store.stateCounts() == ["delivered": 6])
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
