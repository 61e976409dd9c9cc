import Delivery
import Foundation
import JSON
import Outbound
import TestSupport
import Testing

@Suite("Novu request bodies against Novu's schema, and the 512 KB limit")
struct NovuRequestShapeTests {
    /// Fails the test for a required field of `schema` missing from `body`, or a field the schema does not have.
    func expectMatches(_ body: JSONValue, schema name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let schema = try #require(try Shared.novuOpenAPI()["components"]?["schemas"]?[name], sourceLocation: sourceLocation)
        let known = Set(schema["properties"]?.objectValue?.keys.map { $0 } ?? [])
        let fields = Set(body.objectValue?.keys.map { $0 } ?? [])
        #expect(!known.isEmpty, "\(name) has no properties", sourceLocation: sourceLocation)
        #expect(fields.subtracting(known).isEmpty, "not in \(name): \(fields.subtracting(known))", sourceLocation: sourceLocation)
        for required in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            #expect(fields.contains(required), "\(name) requires \(required)", sourceLocation: sourceLocation)
        }
    }

    static func track(_ messageId: String, user: String, extra: String = "") -> JSONValue {
        [
            "type": "track", "event": "E", "messageId": .string(messageId), "userId": .string(user),
            "properties": [
                "environment": "development", "name": "wf", "extra": .string(extra),
                "user": ["subscriberId": .string(user), "firstName": "Ada", "email": "ada@example.com"],
            ],
        ]
    }

    @Test("a trigger, a bulk trigger and a topic subscription carry only fields Novu's schema has, and its required ones")
    func shapes() async throws {
        var options = OutboundHarness.Options()
        options.bulkThreshold = 2
        let harness = try await OutboundHarness(options: options, novuResponder: novuProcessesAll)
        defer { harness.stop() }
        #expect(try await harness.post(json: Self.track("shape-1", user: "u1")).status == 200)
        try await harness.drained()
        #expect(try await harness.post(json: [Self.track("shape-2", user: "u2"), Self.track("shape-3", user: "u3")]).status == 200)
        try await harness.drained()
        let group: JSONValue = ["type": "group", "groupId": "acme", "userId": "u1", "messageId": "shape-4"]
        #expect(try await harness.post(json: group).status == 200)
        try await harness.drained()

        let single = try #require(harness.novuRequests("/v1/events/trigger").first)
        try expectMatches(single.json, schema: "TriggerEventRequestDto")
        let bulk = try #require(harness.novuRequests("/v1/events/trigger/bulk").first)
        try expectMatches(bulk.json, schema: "BulkTriggerEventDto")
        #expect(bulk.json["events"]?.arrayValue?.count == 2)
        for event in bulk.json["events"]?.arrayValue ?? [] { try expectMatches(event, schema: "TriggerEventRequestDto") }
        let topic = try #require(harness.novuRequests("/v2/topics/acme/subscriptions").first)
        try expectMatches(topic.json, schema: "CreateTopicSubscriptionsRequestDto")
    }

    @Test("a trigger over Novu's 512 KB is refused at ingest, not acknowledged; bulk requests are cut at 512 KB")
    func bodyLimit() async throws {
        var options = OutboundHarness.Options()
        options.bulkThreshold = 2
        let harness = try await OutboundHarness(options: options, novuResponder: novuProcessesAll)
        defer { harness.stop() }
        let huge = String(repeating: "x", count: 600 * 1024)
        let refused = try await harness.post(json: Self.track("big-1", user: "u1", extra: huge))
        #expect(refused.status == 400)
        #expect(refused.json["message"]?.stringValue?.contains("Novu takes at most 524288 (512 KB)") == true)
        #expect(try await harness.store.stateCounts().isEmpty)
        // Inside an array it is a rejection of that item alone.
        let mixed = try await harness.post(json: [
            Self.track("big-1b", user: "u1", extra: huge), Self.track("small", user: "u1", extra: ""),
        ])
        #expect(counts(mixed.json) == (1, 0, 0, 1))
        try await harness.drained()

        // Three events of 200 KB: together over the limit, each alone under it. The plan cuts the bulk
        // request at the limit: two events in it, the third alone (below the threshold of 2).
        let large = String(repeating: "y", count: 200 * 1024)
        let events: [JSONValue] = (2...4).map { Self.track("big-\($0)", user: "u\($0)", extra: large) }
        #expect(try await harness.post(json: .array(events)).status == 200)
        try await harness.drained()
        let bulk = harness.novuRequests("/v1/events/trigger/bulk")
        #expect(bulk.map { $0.json["events"]?.arrayValue?.count } == [2])
        #expect(bulk.allSatisfy { $0.body.count <= NovuDestination.maxBodyBytes })
        #expect(harness.novuRequests("/v1/events/trigger").count == 2)
        #expect(try await harness.store.stateCounts() == ["delivered": 4])
    }
}
