import Delivery
import Foundation
import JSON
import Outbound
import TestSupport
import Testing

/// Every row of the Segment → Novu mapping table, through the real segment port, store, relay and
/// libcurl client to a fake Novu on loopback.
@Suite("Segment → Novu, end to end")
struct SegmentToNovuTests {
    @Test("the seed fixture triggers exactly one Novu workflow, shaped like the destination function's")
    func seedFixture() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        let answer = try await harness.post(body: try Shared.fixture("segment-seed-track.json"))
        #expect(answer.status == 200)
        #expect(counts(answer.json) == (1, 0, 0, 0))
        let trigger = try #require(try await harness.novu.waitForRequests(1).first)
        try await harness.drained()
        #expect(harness.novu.requests.count == 1)
        #expect(trigger.method == "POST")
        #expect(trigger.path == "/v1/events/trigger")
        let tx = "seg-ajs-next-1732873200000-5c1d9f2e-8a47-4b6e-9d11-2f0c3b7a9e41"
        #expect(trigger.headers["authorization"] == "ApiKey test-novu-key")
        #expect(trigger.headers["content-type"] == "application/json")
        #expect(trigger.headers["idempotency-key"] == tx)
        let properties: JSONValue = [
            "name": "abandoned-cart-recovery-workflow",
            "user": ["subscriberId": "63da8ee0c037e013fd790ffd", "email": "", "firstName": "John", "lastName": "Doe"],
            "environment": "development",
        ]
        #expect(
            trigger.json
                == [
                    "name": "abandoned-cart-recovery-workflow",
                    "to": ["subscriberId": "63da8ee0c037e013fd790ffd", "firstName": "John", "lastName": "Doe"],
                    "payload": ["eventProperties": properties],
                    "transactionId": .string(tx),
                ]
        )
        // The request satisfies Novu's published schema for a trigger.
        let schema = try #require(try Shared.novuOpenAPI()["components"]?["schemas"]?["TriggerEventRequestDto"])
        let required = schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(!required.isEmpty)
        for field in required { #expect(trigger.json[field] != nil, "required field \(field) missing") }
        let known = Set(schema["properties"]?.objectValue?.keys.map { $0 } ?? [])
        for field in trigger.json.objectValue?.keys.map({ $0 }) ?? [] { #expect(known.contains(field), "\(field) not in schema") }
        // The trigger is linked to its cause for the feedback direction.
        let link = try await harness.store.correlation(transactionId: tx)
        #expect(link?.eventName == "User Abandoned Cart")
        #expect(link?.messageId == "ajs-next-1732873200000-5c1d9f2e-8a47-4b6e-9d11-2f0c3b7a9e41")
    }

    @Test("identify upserts the subscriber (POST /v2/subscribers)")
    func identify() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        let batch = try JSONValue.parse(try Shared.fixture("segment-webhooks-batch.json"))
        let identify = try #require(batch.arrayValue?.first)
        #expect(try await harness.post(json: identify).status == 200)
        let request = try #require(try await harness.novu.waitForRequests(1).first)
        #expect(request.method == "POST")
        #expect(request.path == "/v2/subscribers")
        #expect(request.headers["idempotency-key"] == "seg-fixture-identify-1")
        #expect(
            request.json
                == [
                    "subscriberId": "user-1001", "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace",
                    "locale": "en-GB", "timezone": "Europe/London", "data": ["plan": "pro"],
                ]
        )
        let schema = try #require(try Shared.novuOpenAPI()["components"]?["schemas"]?["CreateSubscriberRequestDto"])
        let known = Set(schema["properties"]?.objectValue?.keys.map { $0 } ?? [])
        for field in request.json.objectValue?.keys.map({ $0 }) ?? [] { #expect(known.contains(field)) }
    }

    @Test("group subscribes the user to the group's topic")
    func group() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        let batch = try JSONValue.parse(try Shared.fixture("segment-webhooks-batch.json"))
        #expect(try await harness.post(json: try #require(batch.arrayValue?[2])).status == 200)
        let request = try #require(try await harness.novu.waitForRequests(1).first)
        #expect(request.method == "POST")
        #expect(request.path == "/v2/topics/acme-inc/subscriptions")
        #expect(request.json == ["subscriptions": ["user-1001"]])
    }

    @Test("delete removes the subscriber, and Novu's 404 for a subscriber it does not know counts as done")
    func delete() async throws {
        let harness = try await OutboundHarness { _ in
            FakeResponse(
                status: 404,
                json: [
                    "statusCode": 404, "timestamp": "2026-12-06T15:00:00.000Z", "path": "/v2/subscribers/user-0999",
                    "message": "Subscriber: user-0999 was not found",
                ]
            )
        }
        defer { harness.stop() }
        let batch = try JSONValue.parse(try Shared.fixture("segment-webhooks-batch.json"))
        #expect(try await harness.post(json: try #require(batch.arrayValue?[3])).status == 200)
        let request = try #require(try await harness.novu.waitForRequests(1).first)
        #expect(request.method == "DELETE")
        #expect(request.path == "/v2/subscribers/user-0999")
        try await harness.drained()
        #expect(try await harness.store.stateCounts() == ["delivered": 1])
    }

    @Test("a delete answered 404 by something else than Novu (a proxy's page) is a dead letter with the body as reason")
    func deleteAnsweredByProxy() async throws {
        let harness = try await OutboundHarness { _ in
            FakeResponse(status: 404, headers: ["content-type": "text/html"], body: Data("<html><h1>404 Not Found</h1></html>\n".utf8))
        }
        defer { harness.stop() }
        let batch = try JSONValue.parse(try Shared.fixture("segment-webhooks-batch.json"))
        #expect(try await harness.post(json: try #require(batch.arrayValue?[3])).status == 200)
        try await harness.drained()
        #expect(try await harness.store.stateCounts() == ["dead": 1])
        let dead = try await harness.store.deadLetters(DeadLetterFilter())
        #expect(dead.first?.reason == "HTTP 404 not from Novu's subscriber lookup: <html><h1>404 Not Found</h1></html>")
    }

    @Test("a track matching a rule triggers the rule's workflow")
    func ruleTrack() async throws {
        var options = OutboundHarness.Options()
        var rule = MappingRules.Rule(event: "Order Shipped", workflow: "order-shipped")
        rule.payload = ["orderId", "carrier"]
        options.rules = MappingRules(rules: [rule])
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        let batch = try JSONValue.parse(try Shared.fixture("segment-webhooks-batch.json"))
        #expect(try await harness.post(json: try #require(batch.arrayValue?[1])).status == 200)
        let request = try #require(try await harness.novu.waitForRequests(1).first)
        #expect(request.path == "/v1/events/trigger")
        #expect(
            request.json
                == [
                    "name": "order-shipped", "to": ["subscriberId": "user-1001"],
                    "payload": ["orderId": "o-42", "carrier": "UPS"], "transactionId": "seg-fixture-track-1",
                ]
        )
    }

    @Test("alias, page and screen are counted as ignored and nothing reaches Novu; a page rule triggers")
    func ignoredTypes() async throws {
        var options = OutboundHarness.Options()
        options.rules = MappingRules(rules: [MappingRules.Rule(type: "page", event: "Pricing", workflow: "pricing-visit")])
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        let events: JSONValue = [
            ["type": "alias", "messageId": "a1", "userId": "u1", "previousId": "anon"],
            ["type": "page", "messageId": "p1", "userId": "u1", "name": "Home"],
            ["type": "screen", "messageId": "s1", "userId": "u1", "name": "Settings"],
            ["type": "page", "messageId": "p2", "userId": "u1", "name": "Pricing"],
        ]
        let answer = try await harness.post(json: events)
        #expect(answer.status == 200)
        #expect(counts(answer.json) == (1, 0, 3, 0))
        let request = try #require(try await harness.novu.waitForRequests(1).first)
        try await harness.drained()
        #expect(harness.novu.requests.count == 1)
        #expect(request.json["name"] == "pricing-visit")
    }

    @Test("the whole Webhooks batch fixture maps row by row, in order per user")
    func batchFixture() async throws {
        var options = OutboundHarness.Options()
        options.rules = MappingRules(rules: [MappingRules.Rule(event: "Order Shipped", workflow: "order-shipped")])
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        let answer = try await harness.post(body: try Shared.fixture("segment-webhooks-batch.json"))
        #expect(answer.status == 200)
        // The fixture ends with a delete inside the array: Segment signs only an array's first element,
        // so a delete is taken only alone (DESIGN §9).
        #expect(counts(answer.json) == (3, 0, 0, 1))
        #expect(answer.json["rejected"]?.arrayValue?.first?["index"] == 3)
        let requests = try await harness.novu.waitForRequests(3)
        try await harness.drained()
        #expect(requests.map(\.path) == ["/v2/subscribers", "/v1/events/trigger", "/v2/topics/acme-inc/subscriptions"])
    }

    @Test("the same messageId posted twice reaches Novu once")
    func duplicate() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        let fixture = try Shared.fixture("segment-seed-track.json")
        #expect(counts(try await harness.post(body: fixture).json) == (1, 0, 0, 0))
        try await harness.novu.waitForRequests(1)
        try await harness.drained()
        #expect(counts(try await harness.post(body: fixture).json) == (0, 1, 0, 0))
        // A third copy inside a batch, beside a new event: only the new one is queued.
        var other = try JSONValue.parse(fixture).objectValue ?? [:]
        other["messageId"] = "another-message"
        let batch: JSONValue = [try JSONValue.parse(fixture), .object(other)]
        #expect(counts(try await harness.post(json: batch).json) == (1, 1, 0, 0))
        try await harness.novu.waitForRequests(2)
        try await harness.drained()
        #expect(harness.novu.requests.count == 2)
    }

    @Test("a trigger is known again by its transactionId and adds no dedupe key; an identify keeps its key")
    func oneIndexEntryPerEvent() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        let track = try Shared.fixture("segment-seed-track.json")
        let identify: JSONValue = [
            "type": "identify", "messageId": "identify-1", "userId": "user-1", "traits": ["email": "a@example.com"],
        ]
        #expect(counts(try await harness.post(body: track).json) == (1, 0, 0, 0))
        #expect(counts(try await harness.post(json: identify).json) == (1, 0, 0, 0))
        #expect(counts(try await harness.post(body: track).json) == (0, 1, 0, 0))
        #expect(counts(try await harness.post(json: identify).json) == (0, 1, 0, 0))
        // Each key is one more index page in the commit; the trigger's correlation already identifies it.
        #expect(try await harness.store.dedupeKeys() == ["segment:identify-1"])
        let transactionId = "seg-" + (try JSONValue.parse(track)["messageId"]?.stringValue ?? "")
        #expect(try await harness.store.correlation(transactionId: transactionId) != nil)
    }

    @Test("Novu answering 500, 500, 201: three attempts, one transactionId, keys tx, tx.r2, tx.r3")
    func retryKeys() async throws {
        let harness = try await OutboundHarness { request in
            let previous = request.headers["idempotency-key"] ?? ""
            return previous.hasSuffix(".r3") ? novuProcessed : FakeResponse(status: 500, json: ["message": "boom"])
        }
        defer { harness.stop() }
        #expect(try await harness.post(body: try Shared.fixture("segment-seed-track.json")).status == 200)
        let requests = try await harness.novu.waitForRequests(3)
        try await harness.drained()
        let tx = "seg-ajs-next-1732873200000-5c1d9f2e-8a47-4b6e-9d11-2f0c3b7a9e41"
        #expect(requests.count == 3)
        #expect(requests.map { $0.headers["idempotency-key"] } == [tx, tx + ".r2", tx + ".r3"])
        #expect(requests.allSatisfy { $0.json["transactionId"] == .string(tx) })
        #expect(try await harness.store.stateCounts() == ["delivered": 1])
    }

    @Test("a trigger Novu does not process is dead-lettered with Novu's status as the reason")
    func notProcessed() async throws {
        let harness = try await OutboundHarness { _ in
            FakeResponse(status: 201, json: ["data": ["acknowledged": true, "status": "trigger_not_active"]])
        }
        defer { harness.stop() }
        #expect(try await harness.post(body: try Shared.fixture("segment-seed-track.json")).status == 200)
        try await harness.novu.waitForRequests(1)
        try await harness.drained()
        #expect(try await harness.store.stateCounts() == ["dead": 1])
        #expect(try await harness.store.jobState(id: 1)?.reason == "trigger_not_active")
        #expect(harness.novu.requests.count == 1)
    }

    @Test("a 422 is dead-lettered at once, never retried")
    func permanent() async throws {
        let harness = try await OutboundHarness { _ in FakeResponse(status: 422, json: ["message": "bad payload"]) }
        defer { harness.stop() }
        #expect(try await harness.post(body: try Shared.fixture("segment-seed-track.json")).status == 200)
        try await harness.novu.waitForRequests(1)
        try await harness.drained()
        #expect(try await harness.store.jobState(id: 1)?.reason == "HTTP 422")
        #expect(harness.novu.requests.count == 1)
    }

    @Test("with NOVU_API_KEY unset and no dry run, queued events are held, not settled: none is lost")
    func missingKeyHolds() async throws {
        var options = OutboundHarness.Options()
        options.apiKey = nil
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        #expect(try await harness.post(body: try Shared.fixture("segment-seed-track.json")).status == 200)
        try await waitUntil("the Novu lane is held") { !harness.relay.status.held.isEmpty }
        #expect(harness.relay.status.held.first?.reason.contains("NOVU_API_KEY is not set") == true)
        #expect(try await harness.store.stateCounts() == ["pending": 1])
        #expect(harness.novu.requests.isEmpty)
    }

    @Test("in a dry run nothing is sent and the job settles as dry run")
    func dryRun() async throws {
        var options = OutboundHarness.Options()
        options.apiKey = nil
        options.dryRun = true
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        #expect(try await harness.post(body: try Shared.fixture("segment-seed-track.json")).status == 200)
        try await harness.drained()
        #expect(try await harness.store.stateCounts() == ["dry_run": 1])
        #expect(harness.novu.requests.isEmpty)
    }

    @Test("when a full batch of triggers is due it goes out as one bulk request, judged per event")
    func bulk() async throws {
        var options = OutboundHarness.Options()
        options.bulkThreshold = 5
        let harness = try await OutboundHarness(options: options) { request in
            guard request.path == "/v1/events/trigger/bulk" else { return novuProcessed }
            let events = request.json["events"]?.arrayValue ?? []
            let results: [JSONValue] = events.map { event in
                event["name"] == "broken"
                    ? ["acknowledged": true, "status": "trigger_not_active"] : ["acknowledged": true, "status": "processed"]
            }
            return FakeResponse(status: 201, json: ["data": .array(results)])
        }
        defer { harness.stop() }
        // Queue the events before the relay can see any: post them as one array.
        let events: [JSONValue] = (0..<6).map { index in
            [
                "type": "track", "event": "E", "messageId": .string("bulk-\(index)"), "userId": .string("user-\(index)"),
                "properties": [
                    "environment": "development", "name": index == 3 ? "broken" : "wf", "user": ["subscriberId": .string("user-\(index)")],
                ],
            ]
        }
        #expect(counts(try await harness.post(json: .array(events)).json) == (6, 0, 0, 0))
        try await harness.drained()
        // One commit queued all six and one claim takes them: six reach the threshold of five. The event
        // Novu does not process is judged on its own and dead-lettered, not sent again alone.
        #expect(harness.novuRequests("/v1/events/trigger").isEmpty)
        let bulk = harness.novuRequests("/v1/events/trigger/bulk")
        try #require(bulk.count == 1)
        let sent = bulk[0].json["events"]?.arrayValue ?? []
        #expect(sent.count == 6)
        #expect(Set(sent.compactMap { $0["transactionId"]?.stringValue }) == Set((0..<6).map { "seg-bulk-\($0)" }))
        #expect(try await harness.store.stateCounts() == ["delivered": 5, "dead": 1])
    }
}
