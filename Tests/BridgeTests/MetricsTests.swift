import Delivery
import Foundation
import JSON
import TestSupport
import Testing

/// The series DESIGN §7 names, scraped from the running binary.
@Suite("metrics", .serialized)
struct MetricsTests {
    /// The bridge's `/metrics` on `port`: the text, and its samples by series.
    static func scrape(_ port: Int, client: CurlHTTPClient) async throws -> (text: String, samples: [String: Double]) {
        let answer = try await client.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(port)/metrics"))
        let text = String(decoding: answer.body, as: UTF8.self)
        return (text, try PrometheusText.parse(text))
    }

    @Test("deliveries by outcome (delivered, retried, dead_lettered), queue gauges, request durations")
    func designSeries() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // Only the webhook's event goes to Segment: the triggers' announcements are switched off, which is
        // also how an operator does it.
        let mapping = dir.file("mapping.yaml")
        try "feedback:\n  notification.triggered: false\n".write(toFile: mapping, atomically: true, encoding: .utf8)
        let failedOnce = Locked(false)
        let novu = try await FakeServer.start { request in
            switch request.json["transactionId"]?.stringValue {
            case "seg-m-retry":
                let first = failedOnce.withLock { failed in
                    defer { failed = true }
                    return !failed
                }
                return first ? FakeResponse(status: 503) : novuProcessed
            case "seg-m-dead":
                return FakeResponse(status: 422, json: ["message": "workflow payload is invalid"])
            default:
                return novuProcessed
            }
        }
        defer { novu.stop() }
        let segmentAPI = try await FakeServer.start { _ in segmentAccepted }
        defer { segmentAPI.stop() }
        let bridge = try BridgeProcess(
            dataDir: dir.path,
            environment: [
                "NOVU_API_KEY": "k", "NOVU_API_URL": novu.baseURL, "BRIDGE_ACCEPT_UNSIGNED": "1",
                "SEGMENT_WRITE_KEY": "sk", "SEGMENT_API_URL": segmentAPI.baseURL, "BRIDGE_MAPPING_FILE": mapping,
            ]
        )
        let segment = try await bridge.port("segment")
        let novuPort = try await bridge.port("novu")
        let client = CurlHTTPClient(threads: 1)
        for id in ["m-ok", "m-retry", "m-dead"] {
            #expect(try await SegmentPort.post(segment, SegmentPort.trigger(id, user: id), client: client) == 200)
        }
        let webhook = try await NovuPort.postUnsigned(novuPort, try Shared.fixture("novu-message-delivered-email.json"), client: client)
        #expect(webhook.status == 200)

        let series = [
            #"bridge_deliveries_total{destination="novu",outcome="delivered"}"#,
            #"bridge_deliveries_total{destination="novu",outcome="retried"}"#,
            #"bridge_deliveries_total{destination="novu",outcome="dead_lettered"}"#,
            #"bridge_deliveries_total{destination="segment",outcome="delivered"}"#,
            #"bridge_queue_depth{destination="novu"}"#,
            #"bridge_queue_oldest_age_seconds{destination="segment"}"#,
        ]
        let scraped = Locked([String: Double]())
        // The queue gauges are sampled every 5 s; the retry waits about a second of backoff.
        try await waitUntil("every series is there", timeout: .seconds(30)) {
            let samples = try await Self.scrape(segment, client: client).samples
            scraped.withLock { $0 = samples }
            return series.allSatisfy { samples[$0] != nil }
                && (samples[#"bridge_deliveries_total{destination="novu",outcome="delivered"}"#] ?? 0) >= 2
        }
        let samples = scraped.value
        #expect(samples[#"bridge_deliveries_total{destination="novu",outcome="retried"}"#] == 1)
        #expect(samples[#"bridge_deliveries_total{destination="novu",outcome="dead_lettered"}"#] == 1)
        #expect(samples[#"bridge_deliveries_total{destination="segment",outcome="delivered"}"#] == 1)
        #expect(samples.keys.contains { $0.hasPrefix("bridge_http_request_duration_seconds") && $0.contains(#"port="segment""#) })
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
    }

    @Test("a refused write key counts as unauthorized, whether it came in the header or was missing")
    func unauthorizedWriteKeys() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bridge = try BridgeProcess(dataDir: dir.path, environment: ["BRIDGE_WRITE_KEYS": "wk-good-0123456789"])
        let segment = try await bridge.port("segment")
        let client = CurlHTTPClient(threads: 1)
        let wrong = "Basic " + Data("wk-wrong:".utf8).base64EncodedString()
        for headers in [[("Content-Type", "application/json"), ("Authorization", wrong)], [("Content-Type", "application/json")]] {
            let answer = try await client.execute(
                HTTPClientRequest(
                    method: "POST",
                    url: "http://127.0.0.1:\(segment)/v1/track",
                    headers: headers,
                    body: SegmentPort.trigger("m-unauthorized").encoded()
                )
            )
            #expect(answer.status == 401)
        }
        let samples = try await Self.scrape(segment, client: client).samples
        #expect(samples[#"bridge_events_total{outcome="unauthorized",port="segment",type="unknown"}"#] == 2)
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
    }

    @Test("webhook types a client makes up do not become series of their own on the novu port")
    func webhookTypeLabels() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bridge = try BridgeProcess(dataDir: dir.path, environment: ["BRIDGE_ACCEPT_UNSIGNED": "1"])
        let novuPort = try await bridge.port("novu")
        let client = CurlHTTPClient(threads: 1)
        var webhook = try JSONValue.parse(try Shared.fixture("novu-message-delivered-email.json")).objectValue ?? [:]
        for type in ["message.delivered", "message.bogus-1", "bogus-2", "workflow.bogus-3"] {
            webhook["type"] = .string(type)
            let answer = try await NovuPort.postUnsigned(novuPort, JSONValue.object(webhook).encoded(), id: "msg_\(type)", client: client)
            #expect(answer.status == 200)
        }
        let (text, samples) = try await Self.scrape(novuPort, client: client)
        #expect(!text.contains("bogus"))
        for type in ["message.delivered", "message.other", "other", "workflow.other"] {
            #expect(samples[#"bridge_events_total{outcome="received",port="novu",type="\#(type)"}"#] == 1, "\(type)")
        }
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
    }
}
