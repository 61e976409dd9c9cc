import Delivery
import Foundation
import Inbound
import JSON
import TestSupport
import Testing

/// Signed webhooks on the novu port, through the store, relay and libcurl client, to a fake Segment.
@Suite("Novu → Segment, end to end")
struct NovuToSegmentTests {
    static let types = ["message.sent", "message.delivered", "message.seen", "message.read", "message.failed"]
    static let channels = ["email", "push", "sms", "in_app", "chat"]

    @Test("each cell of the mapping table reaches Segment as its spec event", arguments: types, channels)
    func cell(type: String, channel: String) async throws {
        let harness = try await InboundHarness()
        defer { harness.stop() }
        let answer = try await harness.post(json: messageWebhook(type: type, channel: channel))
        #expect(answer.status == 200)
        #expect(answer.json == ["status": "accepted"])
        let request = try #require(try await harness.segment.waitForRequests(1).first)
        #expect(request.method == "POST")
        #expect(request.path == "/v1/batch")
        #expect(request.headers["authorization"] == "Basic " + Data("\(InboundHarness.writeKey):".utf8).base64EncodedString())
        #expect(request.json["sentAt"]?.stringValue != nil)
        let event = try #require(request.json["batch"]?.arrayValue?.first)
        // The expected name comes from the spec's table, not from the mapping under test.
        let name = try #require(FeedbackNamesTests.cells.first { $0.type == type && $0.channel == channel }?.name)
        #expect(event["type"] == "track")
        #expect(event["event"] == .string(name))
        #expect(event["userId"] == "user-1001")
        #expect(event["messageId"] == .string("novu-6748f0c1a2b3c4d5e6f70001-\(type)"))
        #expect(event["timestamp"] == "2026-11-28T10:00:05.000Z")
        let properties = try #require(event["properties"]?.objectValue)
        #expect(properties["workflow_id"] == "order-shipped")
        #expect(properties["step_id"] == "step-1")
        #expect(properties["transaction_id"] == "tx-unknown")
        #expect(properties["channel"] == .string(channel))
        #expect(properties["provider_id"] == "provider-x")
        #expect(properties["novu_message_id"] == "6748f0c1a2b3c4d5e6f70001")
        #expect(properties["status"] == "sent")
        #expect(properties["environment_id"] == "env-1")
        #expect((properties["error"] != nil) == (type == "message.failed"))
        if channel == "email" {
            #expect(properties["email_id"] == "6748f0c1a2b3c4d5e6f70001")
            #expect(properties["campaign_id"] == "order-shipped")
            #expect(properties["campaign_name"] == "order-shipped")
        }
        if channel == "push" {
            #expect(properties["campaign"] == ["name": "order-shipped", "medium": "Push", "source": "provider-x"])
        }
        #expect(properties["trigger_event"] == nil)
        let library: JSONValue = ["name": "novu-segment-bridge", "version": "0.1.0"]
        #expect(event["context"] == ["library": library, "integration": library])
    }

    @Test("the delivered-email and failed-push fixtures map with their details")
    func fixtures() async throws {
        let harness = try await InboundHarness()
        defer { harness.stop() }
        #expect(try await harness.post(body: try Shared.fixture("novu-message-delivered-email.json")).status == 200)
        #expect(try await harness.post(body: try Shared.fixture("novu-message-failed-push.json")).status == 200)
        try await harness.segment.waitForRequests(1)
        try await harness.drained()
        let events = Dictionary(uniqueKeysWithValues: harness.deliveredEvents.map { ($0["event"]?.stringValue ?? "", $0) })
        let email = try #require(events["Email Delivered"])
        #expect(email["userId"] == "63da8ee0c037e013fd790ffd")
        #expect(email["messageId"] == "novu-6748f0c1a2b3c4d5e6f70001-message.delivered")
        #expect(email["properties"]?["provider_id"] == "sendgrid")
        let push = try #require(events["Push Notification Bounced"])
        #expect(push["userId"] == "user-1001")
        #expect(push["properties"]?["error"] == "Registration token is not a valid FCM registration token")
        #expect(push["properties"]?["campaign"] == ["name": "order-shipped", "medium": "Push", "source": "fcm"])
    }

    @Test("preference.updated becomes Notification Preferences Updated with the channel states")
    func preference() async throws {
        let harness = try await InboundHarness()
        defer { harness.stop() }
        #expect(try await harness.post(body: try Shared.fixture("novu-preference-updated.json")).status == 200)
        let request = try #require(try await harness.segment.waitForRequests(1).first)
        let event = try #require(request.json["batch"]?.arrayValue?.first)
        #expect(event["event"] == "Notification Preferences Updated")
        #expect(event["userId"] == "user-1001")
        #expect(event["messageId"] == "novu-evt_6748f0c1a2b3c4d5e6f70803-preference.updated")
        #expect(event["properties"]?["channels"] == ["email": false, "sms": true, "in_app": true, "chat": true, "push": true])
        #expect(event["properties"]?["workflow_id"] == "weekly-digest")
    }

    @Test("workflow.* and email.received are acknowledged and not forwarded")
    func ignored() async throws {
        let harness = try await InboundHarness()
        defer { harness.stop() }
        let workflow: JSONValue = ["id": "evt_w", "type": "workflow.updated", "object": "workflow", "data": ["object": ["_id": "w"]]]
        #expect(try await harness.post(json: workflow).json == ["status": "ignored"])
        let received: JSONValue = ["id": "evt_r", "type": "email.received", "data": ["object": [:]]]
        #expect(try await harness.post(json: received).json == ["status": "ignored"])
        #expect(try await harness.store.stateCounts().isEmpty)
    }

    @Test("the same webhook twice, and the same event under a new webhook-id, reach Segment once")
    func dedupe() async throws {
        let harness = try await InboundHarness()
        defer { harness.stop() }
        let body = messageWebhook(type: "message.delivered", channel: "email").encoded()
        #expect(try await harness.post(body: body, id: "msg_same").json == ["status": "accepted"])
        #expect(try await harness.post(body: body, id: "msg_same").json == ["status": "duplicate"])
        #expect(try await harness.post(body: body, id: "msg_other").json == ["status": "duplicate"])
        try await harness.segment.waitForRequests(1)
        try await harness.drained()
        #expect(harness.deliveredEvents.count == 1)
        // Across a restart of the store, too.
        let reopened = try SQLiteStore(directory: harness.directory.path)
        let again = try await reopened.enqueue([
            NewJob(destination: "segment", orderingKey: "u", kind: "track", payload: Data(), dedupeKeys: ["novu-webhook:msg_same"])
        ])
        #expect(again == [.duplicate])
    }

    @Test("svix- header names are accepted too")
    func svixHeaders() async throws {
        let harness = try await InboundHarness()
        defer { harness.stop() }
        let answer = try await harness.post(body: messageWebhook(type: "message.sent", channel: "sms").encoded(), prefix: "svix")
        #expect(answer.status == 200)
        try await harness.segment.waitForRequests(1)
    }

    @Test("Segment answering 503 for a while, then 200: every accepted webhook arrives, once")
    func segmentOutage() async throws {
        let failures = Locked(3)
        let harness = try await InboundHarness { _ in
            let fail = failures.withLock { remaining -> Bool in
                remaining -= 1
                return remaining >= 0
            }
            return fail ? FakeResponse(status: 503) : segmentAccepted
        }
        defer { harness.stop() }
        for index in 0..<10 {
            let webhook = messageWebhook(type: "message.delivered", channel: "email", messageId: "m\(index)", subscriberId: "user-\(index)")
            #expect(try await harness.post(json: webhook).status == 200)
        }
        try await harness.drained()
        // Each event appears in exactly one request Segment answered 200.
        let answered = harness.segment.requests.dropFirst(3)
        let delivered = answered.flatMap { $0.json["batch"]?.arrayValue ?? [] }.compactMap { $0["messageId"]?.stringValue }
        #expect(delivered.count == 10)
        #expect(Set(delivered) == Set((0..<10).map { "novu-m\($0)-message.delivered" }))
        #expect(try await harness.store.stateCounts() == ["delivered": 10])
    }

    @Test("with SEGMENT_WRITE_KEY unset and no dry run, queued events are held, not settled: none is lost")
    func missingKeyHolds() async throws {
        let harness = try await InboundHarness(writeKey: nil)
        defer { harness.stop() }
        #expect(try await harness.post(json: messageWebhook(type: "message.sent", channel: "email")).status == 200)
        try await waitUntil("the Segment lane is held") { !harness.relay.status.held.isEmpty }
        #expect(harness.relay.status.held.first?.reason.contains("SEGMENT_WRITE_KEY is not set") == true)
        #expect(try await harness.store.stateCounts() == ["pending": 1])
        #expect(harness.segment.requests.isEmpty)
    }

    @Test("in a dry run nothing is sent; events settle as dry run")
    func dryRun() async throws {
        let harness = try await InboundHarness(writeKey: nil, dryRun: true)
        defer { harness.stop() }
        #expect(try await harness.post(json: messageWebhook(type: "message.sent", channel: "email")).status == 200)
        try await harness.drained()
        #expect(try await harness.store.stateCounts() == ["dry_run": 1])
        #expect(harness.segment.requests.isEmpty)
    }
}

/// Refusals on the novu port: each asserts its status and that nothing was forwarded.
@Suite("Novu port, bad input")
struct NovuPortTests {
    let body = messageWebhook(type: "message.delivered", channel: "email").encoded()

    func expectNothingForwarded(_ harness: InboundHarness) async throws {
        #expect(try await harness.store.stateCounts().isEmpty)
        #expect(harness.segment.requests.isEmpty)
    }

    @Test("missing headers → 401")
    func missingHeaders() async throws {
        let harness = try await InboundHarness()
        defer { harness.stop() }
        let answer = try await harness.post(body: body, headers: [("Content-Type", "application/json")])
        #expect(answer.status == 401)
        try await expectNothingForwarded(harness)
    }

    @Test("bad signature, unknown secret, stale and future timestamps → 401")
    func badSignatures() async throws {
        let harness = try await InboundHarness()
        defer { harness.stop() }
        let stamp = String(Int(Date().timeIntervalSince1970))
        let bad = try await harness.post(
            body: body,
            headers: [
                ("webhook-id", "msg_1"), ("webhook-timestamp", stamp),
                ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
            ]
        )
        #expect(bad.status == 401)
        let unknown = "whsec_" + Data("not the endpoint's secret".utf8).base64EncodedString()
        #expect(try await harness.post(body: body, secret: unknown).status == 401)
        #expect(try await harness.post(body: body, timestamp: Date().addingTimeInterval(-600)).status == 401)
        let future = try await harness.post(body: body, timestamp: Date().addingTimeInterval(600))
        #expect(future.status == 401)
        #expect(future.json["message"] == "webhook-timestamp is more than 5 minutes from now")
        try await expectNothingForwarded(harness)
    }

    @Test("no secret configured: every request is refused with how to configure it, unless unsigned is allowed")
    func noSecret() async throws {
        let harness = try await InboundHarness(secrets: [])
        defer { harness.stop() }
        let answer = try await harness.post(body: body)
        #expect(answer.status == 401)
        #expect(answer.json["message"]?.stringValue?.contains("NOVU_WEBHOOK_SECRET") == true)
        try await expectNothingForwarded(harness)

        let open = try await InboundHarness(secrets: [], acceptUnsigned: true)
        defer { open.stop() }
        #expect(try await open.post(body: body, headers: [("Content-Type", "application/json")]).status == 200)
    }

    @Test("valid signature over malformed JSON → 400")
    func malformed() async throws {
        let harness = try await InboundHarness()
        defer { harness.stop() }
        let answer = try await harness.post(body: Data("{\"type\":".utf8))
        #expect(answer.status == 400)
        #expect(answer.json["error"] == "InvalidJSON")
        #expect(try await harness.post(body: Data("{\"hello\":1}".utf8)).status == 400)
        try await expectNothingForwarded(harness)
    }

    @Test("a body over 1 MiB → 413")
    func tooLarge() async throws {
        let harness = try await InboundHarness()
        defer { harness.stop() }
        let padded: JSONValue = ["type": "message.sent", "pad": .string(String(repeating: "x", count: 1024 * 1024 + 10))]
        #expect(try await harness.post(json: padded).status == 413)
        try await expectNothingForwarded(harness)
    }

    @Test("a message event without subscriberId → 200, dead-lettered with reason 'no subscriber'")
    func noSubscriber() async throws {
        let harness = try await InboundHarness()
        defer { harness.stop() }
        let answer = try await harness.post(json: messageWebhook(type: "message.seen", channel: "push", subscriberId: nil))
        #expect(answer.status == 200)
        #expect(answer.json == ["status": "dead_lettered"])
        #expect(try await harness.store.stateCounts() == ["dead": 1])
        #expect(try await harness.store.jobState(id: 1)?.reason == "no subscriber")
        #expect(harness.segment.requests.isEmpty)
    }

    @Test("a store that cannot commit → 503, and nothing is forwarded")
    func storeFailure() async throws {
        let harness = try await InboundHarness()
        defer { harness.stop() }
        try harness.breakStore()
        let answer = try await harness.post(body: body)
        #expect(answer.status == 503)
        #expect(answer.json["error"] == "StoreUnavailable")
        #expect(harness.segment.requests.isEmpty)
    }
}
