import Delivery
import Foundation
import JSON
import Logging
import Outbound
import TestSupport
import Testing

@Suite("Queued Novu calls")
struct NovuCallTests {
    @Test("a queued call reads back whole, also from a slice of a larger buffer")
    func roundTrip() throws {
        let body: JSONValue = ["name": "wf", "payload": ["note": "line\nbreak \"quoted\" é"]]
        let call = NovuCall(
            operation: .subscriberUpsert,
            method: "POST",
            path: "/v2/subscribers",
            body: body,
            transactionId: "seg-m\"1"
        )
        let payload = call.encoded()
        // As a claim may hand it over: a Data whose indices do not start at zero.
        let sliced = (Data("prefix".utf8) + payload).dropFirst(6)
        for bytes in [payload, sliced] {
            let stored = try NovuCall.decode(bytes)
            #expect(stored.operation == .subscriberUpsert)
            #expect(stored.method == "POST")
            #expect(stored.path == "/v2/subscribers")
            #expect(stored.transactionId == "seg-m\"1")
            #expect(stored.body == body.encoded())
        }
        let noBody = NovuCall(
            operation: .subscriberDelete,
            method: "DELETE",
            path: "/v2/subscribers/u1",
            body: nil,
            transactionId: "seg-m2"
        )
        #expect(try NovuCall.decode(noBody.encoded()).body.isEmpty)
    }

    @Test("a payload without its header line is refused", arguments: ["", "{}", "{\"method\":\"POST\"}\n{}"])
    func refused(_ text: String) {
        #expect(throws: NovuCall.PayloadError.self) { try NovuCall.decode(Data(text.utf8)) }
    }
}

@Suite("Novu paths")
struct NovuPathTests {
    @Test("a subscriber id of dots stays one path segment: libcurl would resolve . and ..")
    func dotSegments() {
        #expect(NovuCall.pathSegment("..") == "%2E%2E")
        #expect(NovuCall.pathSegment(".") == "%2E")
        #expect(NovuCall.pathSegment("a.b") == "a.b")
        #expect(NovuCall.pathSegment("user 1/x") == "user%201%2Fx")
    }
}

/// What a failed bulk trigger leaves with each of its events for the dead-letter queue.
@Suite("Novu bulk triggers, failed")
struct NovuBulkAttemptTests {
    @Test("each event keeps its own part of a failed bulk request, not the whole request")
    func ownPart() async throws {
        let novu = try await FakeServer.start { _ in FakeResponse(status: 500) }
        defer { novu.stop() }
        let logger = quietLogger()
        let destination = NovuDestination(
            configuration: .init(apiKey: "nv-secret", baseURL: novu.baseURL),
            client: CurlHTTPClient(threads: 1),
            logger: logger
        )
        let jobs = (1...3).map { index in
            let call = NovuCall(
                operation: .trigger,
                method: "POST",
                path: "/v1/events/trigger",
                body: ["name": "wf", "to": ["subscriberId": .string("user-\(index)")], "transactionId": .string("seg-m\(index)")],
                transactionId: "seg-m\(index)"
            )
            return ClaimedJob(id: Int64(index), destination: "novu", orderingKey: "user-\(index)", kind: "trigger", payload: call.encoded())
        }
        let reports = await destination.deliver(jobs)
        #expect(try await novu.waitForRequests(1).map(\.path) == ["/v1/events/trigger/bulk"])
        try #require(reports.count == 3)
        for (index, report) in zip(1...3, reports) {
            let request = try #require(report.request)
            #expect(request.contains("(this event's part of a bulk request of 3 events)"))
            // Each kept the whole bulk request before.
            for other in 1...3 { #expect(request.contains("\"seg-m\(other)\"") == (other == index)) }
            #expect(!request.contains("nv-secret"))
        }
    }
}
