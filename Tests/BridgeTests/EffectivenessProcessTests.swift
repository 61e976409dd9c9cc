import Delivery
import Foundation
import GRDB
import JSON
import TestSupport
import Testing

/// The funnel end to end through the built binary (DESIGN §11): a Segment event triggers a workflow, Novu's
/// webhooks deliver and open it, a goal converts it, and the figures come back as a report.
@Suite("Effectiveness")
struct EffectivenessProcessTests {
    /// Goals need a rule of their own or `fallback: ignore`: under the seed convention an event without
    /// `properties.environment` is refused, goal or not.
    static let mapping = """
        fallback: ignore
        rules:
          - event: Cart Abandoned
            workflow: wf
        conversions:
          - workflow: wf
            goal: Order Completed
            window: 72h
            value: revenue
          - workflow: "*"
            goal: Signed Up
        """

    /// The fakes, a mapping file and a data directory, shared by a test and the bridges it starts.
    struct World {
        let dir: TemporaryDirectory
        let novu: FakeServer
        let segment: FakeServer
        let environment: [String: String]

        static func make() async throws -> World {
            let dir = try TemporaryDirectory()
            let mapping = dir.file("mapping.yaml")
            try EffectivenessProcessTests.mapping.write(toFile: mapping, atomically: true, encoding: .utf8)
            let novu = try await FakeServer.start { _ in novuProcessed }
            let segment = try await FakeServer.start { _ in segmentAccepted }
            return World(
                dir: dir,
                novu: novu,
                segment: segment,
                environment: [
                    "NOVU_API_KEY": "novu-key", "NOVU_API_URL": novu.baseURL, "SEGMENT_WRITE_KEY": "segment-key",
                    "SEGMENT_API_URL": segment.baseURL, "BRIDGE_ACCEPT_UNSIGNED": "1", "BRIDGE_MAPPING_FILE": mapping,
                ]
            )
        }

        func stop() {
            novu.stop()
            segment.stop()
            dir.remove()
        }
    }

    static func iso(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }

    /// A Novu message webhook for `transactionId`'s email to `user`.
    static func webhook(_ type: String, transactionId: String, user: String = "u1", message: String = "msg-1", at: Date) -> Data {
        let envelope: JSONValue = [
            "id": .string("evt-\(type)-\(message)"), "type": .string(type), "object": "message", "timestamp": .string(iso(at)),
            "data": [
                "object": [
                    "_id": .string(message), "subscriberId": .string(user), "workflowId": "wf", "transactionId": .string(transactionId),
                    "channel": "email", "providerId": "sendgrid", "status": "sent",
                ]
            ],
        ]
        return envelope.encoded()
    }

    static func goal(_ id: String, user: String = "u1", event: String = "Order Completed", at: Date) -> JSONValue {
        [
            "type": "track", "event": .string(event), "messageId": .string(id), "userId": .string(user), "timestamp": .string(iso(at)),
            "properties": ["revenue": .double(42.5), "currency": "USD"],
        ]
    }

    /// Waits until the conversion lane has handled every goal queued so far.
    static func goalsHandled(_ dir: TemporaryDirectory) async throws {
        try await waitUntil("every goal is attributed") {
            let queue = try DatabaseQueue(path: (dir.path as NSString).appendingPathComponent(SQLiteStore.fileName))
            let pending = try await queue.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job WHERE destination = 'conversion' AND state = 'pending'") ?? 0
            }
            try queue.close()
            return pending == 0
        }
    }

    @Test("trigger, delivery, open and a goal make one Notification Converted; repeats, late goals and other users add nothing")
    func conversionEndToEnd() async throws {
        let world = try await World.make()
        defer { world.stop() }
        var bridge = try BridgeProcess(dataDir: world.dir.path, environment: world.environment)
        let client = CurlHTTPClient(threads: 2)
        var segmentPort = try await bridge.port("segment")
        var novuPort = try await bridge.port("novu")

        #expect(
            try await SegmentPort.post(
                segmentPort,
                ["type": "track", "event": "Cart Abandoned", "messageId": "cause-1", "userId": "u1"],
                client: client
            ) == 200
        )
        let trigger = try #require(try await world.novu.waitForRequests(1).first)
        let transactionId = try #require(trigger.json["transactionId"]?.stringValue)
        let triggered = try #require(try await world.segment.waitForSegmentEvents(named: "Notification Triggered").first)
        #expect(triggered["messageId"]?.stringValue == "novu-trig-\(transactionId)")
        #expect(triggered["userId"] == "u1")
        #expect(triggered["properties"]?["workflow_id"] == "wf")
        #expect(triggered["properties"]?["transaction_id"]?.stringValue == transactionId)
        #expect(triggered["properties"]?["trigger_event"] == "Cart Abandoned")
        #expect(triggered["properties"]?["trigger_message_id"] == "cause-1")

        let delivered = Date()
        for (type, at) in [("message.delivered", delivered), ("message.seen", delivered.addingTimeInterval(60))] {
            let answer = try await NovuPort.postUnsigned(novuPort, Self.webhook(type, transactionId: transactionId, at: at), client: client)
            #expect(answer.status == 200)
        }
        try await world.segment.waitForSegmentEvents(named: "Email Opened")

        // Another user's goal, before u1's: nothing to credit.
        #expect(
            try await SegmentPort.post(
                segmentPort,
                Self.goal("order-u2", user: "u2", at: delivered.addingTimeInterval(100)),
                client: client
            ) == 200
        )
        #expect(try await SegmentPort.post(segmentPort, Self.goal("order-1", at: delivered.addingTimeInterval(120)), client: client) == 200)
        let converted = try #require(try await world.segment.waitForSegmentEvents(named: "Notification Converted").first)
        let properties = try #require(converted["properties"]?.objectValue)
        #expect(converted["userId"] == "u1")
        #expect(converted["messageId"]?.stringValue?.hasPrefix("novu-conv-") == true)
        #expect(properties["workflow_id"] == "wf")
        #expect(properties["channel"] == "email")
        #expect(properties["provider_id"] == "sendgrid")
        #expect(properties["novu_message_id"] == "msg-1")
        #expect(properties["transaction_id"]?.stringValue == transactionId)
        #expect(properties["trigger_event"] == "Cart Abandoned")
        #expect(properties["trigger_message_id"] == "cause-1")
        #expect(properties["conversion_event"] == "Order Completed")
        #expect(properties["conversion_message_id"] == "order-1")
        #expect(properties["value"] == .double(42.5))
        #expect(properties["revenue"] == .double(42.5))
        #expect(properties["currency"] == "USD")
        #expect(properties["attribution"] == "last_touch")
        #expect(properties["attribution_type"] == "direct")
        #expect(properties["touch"] == "opened")
        #expect(properties["window_seconds"] == .int(72 * 3600))
        #expect(properties["time_to_convert_seconds"] == .int(120))

        // A second goal, and one past the window: nothing. Then a goal of another rule, as a marker: u1's goals
        // are attributed in order and u1's Segment events sent in order, so when its event arrives the ones
        // before it would have too.
        #expect(try await SegmentPort.post(segmentPort, Self.goal("order-2", at: delivered.addingTimeInterval(300)), client: client) == 200)
        #expect(
            try await SegmentPort.post(segmentPort, Self.goal("order-late", at: delivered.addingTimeInterval(73 * 3600)), client: client)
                == 200
        )
        #expect(
            try await SegmentPort.post(
                segmentPort,
                Self.goal("signup-1", event: "Signed Up", at: delivered.addingTimeInterval(400)),
                client: client
            ) == 200
        )
        try await world.segment.waitForSegmentEvents(named: "Notification Converted", count: 2)
        try await Self.goalsHandled(world.dir)
        let conversions = world.segment.segmentEvents(named: "Notification Converted")
        #expect(conversions.map { $0["properties"]?["conversion_message_id"]?.stringValue } == ["order-1", "signup-1"])

        // The figures of the run, from the CLI and from /report.
        let expected: [String: Int] = ["triggered": 1, "sent": 1, "delivered": 1, "opened": 1, "clicked": 0, "converted": 1, "failed": 0]
        let cli = try await BridgeProcess.run(
            ["report", "--format", "json", "--data-dir", world.dir.path, "--since", "1d"],
            environment: ["BRIDGE_MAPPING_FILE": world.environment["BRIDGE_MAPPING_FILE"] ?? ""]
        )
        #expect(cli.status == 0, "\(cli.errors)")
        let fromCLI = try JSONValue.parse(Data(cli.output.utf8))
        let row = try #require(fromCLI["rows"]?.arrayValue?.first { $0["workflow"] == "wf" && $0["channel"] == "email" })
        for (stage, count) in expected { #expect(row[stage] == .int(Int64(count)), "\(stage)") }
        // JSON writes 1.0 as 1: compared as numbers.
        #expect(row["rates"]?["conversion"]?.scalarText.flatMap(Double.init) == 1)
        #expect(row["rates"]?["click"]?.scalarText.flatMap(Double.init) == 0)
        #expect(row["maturing"] == .bool(true))
        let served = try await client.execute(
            HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(novuPort)/report?since=1d&by=workflow,channel")
        )
        #expect(served.status == 200)
        let fromRoute = try JSONValue.parse(served.body)
        #expect(fromRoute["rows"] == fromCLI["rows"])

        // The dashboard of the run in a real browser: the workflow and its charts, and nothing fetched from
        // anywhere but the bridge.
        if HeadlessChromium.testsShouldRun {
            let chromium = try #require(HeadlessChromium.locate(), "CI is set and chromium is not installed")
            let url = "http://127.0.0.1:\(novuPort)/dashboard?since=1d"
            let load = try await chromium.load(url)
            #expect(load.dom.contains("data-workflow=\"wf\""))
            #expect(load.dom.contains("id=\"funnel\""))
            #expect(load.dom.contains("id=\"daily\""))
            #expect(load.dom.contains("id=\"channels\""))
            #expect(load.requestedURLs.contains(url), "\(load.requestedURLs)")
            for requested in load.requestedURLs {
                let parts = URLComponents(string: requested)
                #expect(parts?.host == "127.0.0.1" && parts?.port == novuPort, "the page requested \(requested)")
            }
        }

        // The funnel's metrics: each stage once, the conversion, the time to open by channel.
        let metrics = try await client.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(novuPort)/metrics"))
        let text = String(decoding: metrics.body, as: UTF8.self)
        for stage in ["triggered", "delivered", "opened", "converted"] {
            #expect(text.contains("stage=\"\(stage)\""), "\(stage)")
        }
        #expect(text.contains("bridge_funnel_events_total{workflow=\"wf\",channel=\"email\",stage=\"opened\"} 1"))
        // Two goals converted the transaction: Order Completed and Signed Up.
        #expect(text.contains("bridge_conversions_total{workflow=\"wf\"} 2"))
        #expect(text.contains("bridge_time_to_open_seconds_bucket{channel=\"email\",le=\"60.0\"} 1"))

        // After a restart: the same figures, and nothing announced or converted again.
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
        bridge = try BridgeProcess(dataDir: world.dir.path, environment: world.environment)
        segmentPort = try await bridge.port("segment")
        novuPort = try await bridge.port("novu")
        #expect(try await SegmentPort.post(segmentPort, Self.goal("order-3", at: delivered.addingTimeInterval(500)), client: client) == 200)
        try await Self.goalsHandled(world.dir)
        let again = try await client.execute(
            HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(novuPort)/report?since=1d&by=workflow,channel")
        )
        #expect(try JSONValue.parse(again.body)["rows"] == fromCLI["rows"])
        #expect(world.segment.segmentEvents(named: "Notification Triggered").count == 1)
        #expect(world.segment.segmentEvents(named: "Notification Converted").count == 2)
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
    }

    @Test("a bad report query is a 400 naming the parameter; remote peers need the admin token")
    func reportQuery() async throws {
        let world = try await World.make()
        defer { world.stop() }
        let bridge = try BridgeProcess(dataDir: world.dir.path, environment: world.environment)
        let client = CurlHTTPClient(threads: 1)
        let novuPort = try await bridge.port("novu")
        let bad = try await client.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(novuPort)/report?by=color"))
        #expect(bad.status == 400)
        #expect(String(decoding: bad.body, as: UTF8.self).contains("by:"))
        let remote = try await client.execute(
            HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(novuPort)/report", headers: [("X-Forwarded-For", "203.0.113.9")])
        )
        #expect(remote.status == 401 || remote.status == 403)
        let cli = try await BridgeProcess.run(["report", "--data-dir", world.dir.path, "--since", "forever"])
        #expect(cli.status != 0)
        #expect(cli.errors.contains("--since"))
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
    }
}
