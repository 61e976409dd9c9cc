import Delivery
import Foundation
import GRDB
import Inbound
import JSON
import TestSupport
import Testing

/// The activity poller in the built binary, between a fake Novu (with an activity API and no webhooks)
/// and a fake Segment (DESIGN §10).
@Suite("Activity poller (process)")
struct ActivityPollerProcessTests {
    static func environment(novu: FakeServer, segment: FakeServer) -> [String: String] {
        [
            "NOVU_API_KEY": "novu-key", "NOVU_API_URL": novu.baseURL, "SEGMENT_WRITE_KEY": "segment-key",
            "SEGMENT_API_URL": segment.baseURL, "BRIDGE_ACCEPT_UNSIGNED": "1", "NOVU_POLL_INTERVAL": "100ms",
            // Looks back off ×2: however slow the machine, the next one stays near.
            "NOVU_POLL_MAX_INTERVAL": "400ms",
        ]
    }

    /// A data directory, a fake Novu with an activity API, and a fake Segment.
    struct Fakes {
        let dir: TemporaryDirectory
        let activity: FakeNovuActivity
        let novu: FakeServer
        let segment: FakeServer

        static func start() async throws -> Fakes {
            let activity = FakeNovuActivity()
            return Fakes(
                dir: try TemporaryDirectory(),
                activity: activity,
                novu: try await FakeServer.start { activity.respond($0) },
                segment: try await FakeServer.start { _ in segmentAccepted }
            )
        }

        func stop() {
            novu.stop()
            segment.stop()
            dir.remove()
        }
    }

    /// How many times each `messageId` reached the fake Segment.
    static func deliveries(_ segment: FakeServer) -> [String: Int] {
        var counts: [String: Int] = [:]
        for request in segment.requests {
            for event in request.json["batch"]?.arrayValue ?? [] {
                if let id = event["messageId"]?.stringValue { counts[id, default: 0] += 1 }
            }
        }
        return counts
    }

    /// Runs `bridge stats --json` until `count` jobs of `destination` were delivered in the last hour.
    static func waitForDelivered(_ dataDir: String, destination: String, count: Int, timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let output = try await BridgeProcess.run(["stats", "--json"], environment: ["BRIDGE_DATA_DIR": dataDir]).output
            let entries = (try? JSONValue.parse(Array(output.utf8)))?.arrayValue ?? []
            let entry = entries.first { $0["destination"]?.stringValue == destination }
            if case .int(let delivered)? = entry?["lastHour"]?["delivered"], delivered >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("\(destination) never had \(count) delivered")
    }

    /// Runs `bridge stats` on `dataDir` until its output contains `text` (the store commits after the
    /// answer that a test can see), at most for `timeout`.
    static func waitForStats(_ dataDir: String, containing text: String, timeout: Duration = .seconds(15)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var output = ""
        while ContinuousClock.now < deadline {
            output = try await BridgeProcess.run(["stats"], environment: ["BRIDGE_DATA_DIR": dataDir]).output
            if output.contains(text) { return output }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("bridge stats never said '\(text)':\n\(output)")
    }

    /// Every event the fake Segment received, by `messageId` (Segment dedupes on it), with how many
    /// distinct events came under each id.
    static func received(_ segment: FakeServer) -> [String: JSONValue] {
        var events: [String: JSONValue] = [:]
        for request in segment.requests {
            for event in request.json["batch"]?.arrayValue ?? [] {
                guard let id = event["messageId"]?.stringValue else { continue }
                events[id] = event
            }
        }
        return events
    }

    static func waitFor(
        _ segment: FakeServer,
        events names: Set<String>,
        timeout: Duration = .seconds(20)
    ) async throws -> [String: JSONValue] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let events = received(segment)
            if names.isSubset(of: Set(events.values.compactMap { $0["event"]?.stringValue })) { return events }
            _ = try? await segment.waitForRequests(segment.requests.count + 1, timeout: .milliseconds(500))
        }
        throw TestFailure(
            "Segment did not receive \(names.sorted()); it has \(received(segment).values.compactMap { $0["event"]?.stringValue })"
        )
    }

    /// The messageId the webhook of `type` for `message` gets.
    static func webhookMessageId(_ type: String, message: String) -> String {
        let envelope: JSONValue = ["type": .string(type), "data": ["object": ["_id": .string(message), "channel": "email"]]]
        return FeedbackEvent.messageId(for: NovuWebhook(json: envelope)!)
    }

    @Test(
        "a trigger's email is followed: delivered, opened and clicked reach Segment once, across a kill -9, and a later webhook adds nothing"
    )
    func followsATransaction() async throws {
        let fakes = try await Fakes.start()
        defer { fakes.stop() }
        let (dir, activity, novu, segment) = (fakes.dir, fakes.activity, fakes.novu, fakes.segment)
        let environment = Self.environment(novu: novu, segment: segment)
        var bridge = try BridgeProcess(dataDir: dir.path, environment: environment)
        let client = CurlHTTPClient(threads: 1)
        let port = try await bridge.port("segment")
        #expect(try await SegmentPort.post(port, SegmentPort.trigger("poll-1", user: "ada"), client: client) == 200)
        _ = try await novu.waitForRequests(1)
        let transactionId = try #require(activity.transactions.first)
        let message = try #require(activity.messageId(transactionId))

        activity.deliver(transactionId)
        var events = try await Self.waitFor(segment, events: ["Email Sent", "Email Delivered"])
        // Settled, so a resend after the kill would be a duplicate of the bridge's, not Segment's retry (the
        // third is the trigger's Notification Triggered).
        try await Self.waitForDelivered(dir.path, destination: "segment", count: 3)
        // Killed between two looks: what was emitted is committed, what was not is looked at again.
        try await bridge.kill()
        activity.open(transactionId)
        activity.click(transactionId, url: "https://shop.example/cart")
        bridge = try BridgeProcess(dataDir: dir.path, environment: environment)
        events = try await Self.waitFor(segment, events: ["Email Opened", "Email Link Clicked"])

        let expected: [String: String] = [
            Self.webhookMessageId("message.sent", message: message): "Email Sent",
            Self.webhookMessageId("message.delivered", message: message): "Email Delivered",
            Self.webhookMessageId("message.seen", message: message): "Email Opened",
            Self.webhookMessageId("message.clicked", message: message): "Email Link Clicked",
        ]
        let triggered = "novu-trig-\(transactionId)"
        let changes = events.filter { $0.key != triggered }
        #expect(changes.mapValues { $0["event"]?.stringValue ?? "" } == expected)
        // Each once: neither the kill nor the looks after it sent a change again, nor the trigger's announcement.
        #expect(Self.deliveries(segment) == expected.mapValues { _ in 1 }.merging([triggered: 1]) { $1 })
        for event in changes.values {
            #expect(event["userId"] == "ada")
            #expect(event["properties"]?["transaction_id"]?.stringValue == transactionId)
            #expect(event["properties"]?["trigger_message_id"] == "poll-1")
            // As Novu's webhooks name the environment: its identifier, not the message's internal id.
            #expect(event["properties"]?["environment_id"] == "dev-identifier")
        }
        let clicked = try #require(events[Self.webhookMessageId("message.clicked", message: message)])
        #expect(clicked["properties"]?["link_url"] == "https://shop.example/cart")

        // Novu's webhook of a change the poller already reported is a duplicate: no second event.
        let webhook: JSONValue = [
            "id": "evt_late", "type": "message.delivered", "object": "message", "timestamp": "2026-12-06T10:00:01.000Z",
            "data": [
                "object": [
                    "_id": .string(message), "subscriberId": "ada", "transactionId": .string(transactionId),
                    "channel": "email", "status": "sent", "templateIdentifier": "wf",
                ]
            ],
        ]
        let answer = try await NovuPort.postUnsigned(try await bridge.port("novu"), webhook.encoded(), id: "msg_late", client: client)
        #expect(answer.status == 200)
        #expect(try JSONValue.parse(answer.body)["status"] == "duplicate")

        let metrics = try await client.execute(
            HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(try await bridge.port("novu"))/metrics")
        )
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(text.contains(#"bridge_poll_requests_total{endpoint="messages",status="200"}"#))
        #expect(text.contains(#"bridge_poll_requests_total{endpoint="notifications",status="200"}"#))
        #expect(text.contains("bridge_poll_followed_transactions 1"))
        #expect(text.contains("bridge_poll_lag_seconds"))

        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
        #expect(!bridge.log.contains("novu-key"))
        // Each look asked for the transaction's messages with the key, many transactions per request.
        let looks = novu.requests.filter { $0.path.hasPrefix("/v1/messages?") }
        #expect(!looks.isEmpty)
        #expect(looks.allSatisfy { $0.headers["authorization"] == "ApiKey novu-key" && $0.path.contains("limit=1000") })
    }

    @Test("Novu's 402 (beyond the plan's retention) ends the following; the poller asks no more")
    func retentionEndsFollowing() async throws {
        let fakes = try await Fakes.start()
        defer { fakes.stop() }
        let (dir, activity, novu, segment) = (fakes.dir, fakes.activity, fakes.novu, fakes.segment)
        let bridge = try BridgeProcess(dataDir: dir.path, environment: Self.environment(novu: novu, segment: segment))
        let client = CurlHTTPClient(threads: 1)
        let port = try await bridge.port("segment")
        #expect(try await SegmentPort.post(port, SegmentPort.trigger("poll-402", user: "u1"), client: client) == 200)
        _ = try await Self.waitForStats(dir.path, containing: "followed: 1")
        // Three days on (older than the Free plan's 24 h), Novu no longer has the activity.
        activity.answerActivity(with: FakeResponse(status: 402, json: ["message": "Payment required"]))
        try await DatabaseQueue(path: dir.file("bridge.sqlite")).write { db in
            try db.execute(sql: "UPDATE follow SET since = since - 3 * 86400")
        }
        let stats = try await Self.waitForStats(dir.path, containing: "ended retention: 1")
        #expect(stats.contains("followed: 0; ended retention: 1"))
        let ended = novu.requests.count
        // A later transaction is followed alone: the first is asked about no more.
        activity.answerActivity(with: nil)
        #expect(try await SegmentPort.post(port, SegmentPort.trigger("poll-402b", user: "u2"), client: client) == 200)
        // Its email's Email Sent (the first transaction's may have ended before its first look).
        func secondSent() -> Bool {
            Self.received(segment).values.contains { $0["properties"]?["transaction_id"] == "seg-poll-402b" }
        }
        let deadline = ContinuousClock.now + .seconds(15)
        while !secondSent(), ContinuousClock.now < deadline {
            _ = try? await segment.waitForRequests(segment.requests.count + 1, timeout: .milliseconds(500))
        }
        #expect(secondSent())
        let transactions = activity.transactions
        try #require(transactions.count == 2)
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
        let later = novu.requests.dropFirst(ended).filter { $0.path.hasPrefix("/v1/messages?") }
        #expect(later.contains { $0.path.contains("transactionId=\(transactions[1])&") })
        #expect(!later.contains { $0.path.contains("transactionId=\(transactions[0])&") })
    }
    @Test("a 429 with Retry-After pauses the poller, which says so once and reads again after it")
    func pausesOnRateLimit() async throws {
        let fakes = try await Fakes.start()
        defer { fakes.stop() }
        let limited = Locked(0)
        fakes.activity.intercept { request in
            guard request.path.hasPrefix("/v1/messages"),
                limited.withLock({ count in
                    count += 1
                    return count == 1
                })
            else { return nil }
            return FakeResponse(status: 429, headers: ["Retry-After": "1"], body: Data())
        }
        let bridge = try BridgeProcess(dataDir: fakes.dir.path, environment: Self.environment(novu: fakes.novu, segment: fakes.segment))
        let client = CurlHTTPClient(threads: 1)
        #expect(try await SegmentPort.post(try await bridge.port("segment"), SegmentPort.trigger("poll-429"), client: client) == 200)
        _ = try await Self.waitFor(fakes.segment, events: ["Email Sent"])
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
        let looks = fakes.novu.requests.filter { $0.path.hasPrefix("/v1/messages") }
        #expect(looks.count >= 2)
        // Not asked again before Retry-After said.
        #expect(looks[1].at - looks[0].at >= .milliseconds(950))
        #expect(bridge.log.contains("activity poller paused"))
        #expect(bridge.log.contains("activity poller reads Novu again"))
    }
}
