import Delivery
import Foundation
import JSON
import Outbound
import TestSupport
import Testing

/// The Novu lane's gather window through the real relay, store, libcurl client and a fake Novu.
@Suite("Novu bulk gathering")
struct GatherWindowTests {
    func events(_ indexes: Range<Int>) -> JSONValue {
        .array(
            indexes.map { index in
                [
                    "type": "track", "event": "E", "messageId": .string("gather-\(index)"), "userId": .string("user-\(index)"),
                    "properties": ["environment": "development", "name": "wf", "user": ["subscriberId": .string("user-\(index)")]],
                ]
            }
        )
    }

    func harness(window: Duration, bulkThreshold: Int = 100) async throws -> OutboundHarness {
        var options = OutboundHarness.Options()
        options.bulkThreshold = bulkThreshold
        options.relay.gatherWindow["novu"] = window
        return try await OutboundHarness(options: options, novuResponder: novuProcessesAll)
    }

    @Test("triggers claimed short of a full bulk wait for more and go out together")
    func gathers() async throws {
        let harness = try await harness(window: .seconds(1), bulkThreshold: 5)
        defer { harness.stop() }
        #expect(counts(try await harness.post(json: events(0..<3)).json).accepted == 3)
        // The relay has claimed the three and sent nothing: they wait for a fuller request.
        let store = harness.store
        try await waitUntil("the relay claims the first three") { try await store.claimedCount(destination: "novu") == 3 }
        #expect(harness.novu.requests.isEmpty)
        #expect(counts(try await harness.post(json: events(3..<5)).json).accepted == 2)
        try await harness.drained()
        let bulk = harness.novuRequests("/v1/events/trigger/bulk")
        #expect(bulk.count == 1)
        #expect(bulk.first?.json["events"]?.arrayValue?.count == 5)
        #expect(harness.novuRequests("/v1/events/trigger").isEmpty)
    }

    @Test("held triggers still go out when nothing more arrives: singles below the threshold")
    func flushes() async throws {
        let harness = try await harness(window: .milliseconds(200))
        defer { harness.stop() }
        #expect(counts(try await harness.post(json: events(0..<2)).json).accepted == 2)
        try await harness.drained()
        #expect(harness.novuRequests("/v1/events/trigger").count == 2)
        #expect(harness.novuRequests("/v1/events/trigger/bulk").isEmpty)
        #expect(try await harness.store.stateCounts() == ["delivered": 2])
    }

    @Test("shutdown gives held triggers back to the queue, unsent")
    func shutdownReleases() async throws {
        let harness = try await harness(window: .seconds(5))
        defer { harness.stop() }
        #expect(counts(try await harness.post(json: events(0..<3)).json).accepted == 3)
        let store = harness.store
        try await waitUntil("the relay claims the three") { try await store.claimedCount(destination: "novu") == 3 }
        await harness.stopRelay()
        #expect(try await store.claimedCount(destination: "novu") == 0)
        #expect(try await store.pendingCount(destination: "novu") == 3)
        #expect(harness.novu.requests.isEmpty)
    }
}
