import CompressNIO
import Delivery
import Foundation
import JSON
import NIOCore
import Outbound
import TestSupport
import Testing

/// The segment port's routes, status codes and bad input (DESIGN §3). Each refusal also checks that
/// nothing was queued and that the port keeps serving.
@Suite("Segment port")
struct SegmentPortTests {
    func track(
        _ id: String,
        properties: JSONValue = ["environment": "development", "name": "wf", "user": ["subscriberId": "u1"]]
    ) -> JSONValue {
        ["type": "track", "event": "E", "messageId": .string(id), "userId": "u1", "properties": properties]
    }

    /// Nothing queued, and a good event still goes through afterwards.
    func expectNothingQueuedAndStillServing(_ harness: OutboundHarness) async throws {
        #expect(try await harness.store.stateCounts().isEmpty)
        let after = try await harness.post(json: track("after-refusal"))
        #expect(after.status == 200)
        #expect(counts(after.json) == (1, 0, 0, 0))
    }

    @Test("malformed JSON → 400")
    func malformed() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        let answer = try await harness.post(body: Data("{\"type\":".utf8))
        #expect(answer.status == 400)
        #expect(answer.json["error"] == "InvalidJSON")
        try await expectNothingQueuedAndStillServing(harness)
    }

    @Test("a body that is not JSON → 415")
    func notJSON() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        let answer = try await harness.post(body: Data("a=b".utf8), headers: [("Content-Type", "application/x-www-form-urlencoded")])
        #expect(answer.status == 415)
        #expect(answer.json["message"] == "Content-Type must be application/json (or text/plain)")
        try await expectNothingQueuedAndStillServing(harness)
    }

    @Test("a body that is not JSON at all → 415, whatever its Content-Type claims", arguments: ["hello", "a=b", "", "  <xml/>"])
    func notJSONBody(body: String) async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        let answer = try await harness.post(body: Data(body.utf8))
        #expect(answer.status == 415)
        #expect(answer.json["error"] == "UnsupportedMediaType")
        try await expectNothingQueuedAndStillServing(harness)
    }

    @Test(
        "JSON media types are told apart from others, whatever their case, parameters or spaces",
        arguments: [
            ("application/json", true), ("Application/JSON; charset=utf-8", true), (" application/json ;charset=x", true),
            ("application/vnd.segment+json", true), ("TEXT/PLAIN", true), ("application/jsonx", false),
            ("text/html", false), ("json", false), ("application/xml", false),
        ]
    )
    func mediaTypes(contentType: String, accepted: Bool) async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        let body = track("media-\(contentType)").encoded()
        let answer = try await harness.post(body: body, headers: [("Content-Type", contentType)])
        #expect(answer.status == (accepted ? 200 : 415))
    }

    @Test("a body over the limit → 413")
    func tooLarge() async throws {
        var options = OutboundHarness.Options()
        options.bodyLimit = 1024
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        let big = track(
            "big",
            properties: ["environment": "development", "name": "wf", "pad": .string(String(repeating: "x", count: 2000))]
        )
        let answer = try await harness.post(json: big)
        #expect(answer.status == 413)
        try await expectNothingQueuedAndStillServing(harness)
    }

    @Test("missing seed fields → 400 with the destination function's messages")
    func seedMessages() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        let noEnvironment = try await harness.post(json: track("m1", properties: ["name": "wf"]))
        #expect(noEnvironment.status == 400)
        #expect(noEnvironment.json == ["error": "InvalidEventPayload", "message": "environment property is required"])
        let noName = try await harness.post(json: track("m2", properties: ["environment": "development"]))
        #expect(noName.status == 400)
        #expect(noName.json == ["error": "InvalidEventPayload", "message": "workflow name property is required"])
        try await expectNothingQueuedAndStillServing(harness)
    }

    @Test("another environment is accepted, counted as ignored, and not sent")
    func otherEnvironment() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        let answer = try await harness.post(json: track("m1", properties: ["environment": "production", "name": "wf"]))
        #expect(answer.status == 200)
        #expect(counts(answer.json) == (0, 0, 1, 0))
        #expect(try await harness.store.stateCounts().isEmpty)
    }

    @Test("X-Signature: valid passes; missing or wrong → 401 when a secret is set")
    func signature() async throws {
        var options = OutboundHarness.Options()
        options.sharedSecret = "segment-secret"
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        let body = track("signed").encoded()
        let missing = try await harness.post(body: body)
        #expect(missing.status == 401)
        let wrong = try await harness.post(
            body: body,
            headers: [("Content-Type", "application/json"), ("X-Signature", SegmentSignature.sign(body: Array(body), secret: "other"))]
        )
        #expect(wrong.status == 401)
        #expect(try await harness.store.stateCounts().isEmpty)
        let good = try await harness.post(
            body: body,
            headers: [
                ("Content-Type", "application/json"), ("X-Signature", SegmentSignature.sign(body: Array(body), secret: "segment-secret")),
            ]
        )
        #expect(good.status == 200)
        #expect(counts(good.json) == (1, 0, 0, 0))
    }

    @Test("X-Signature on an array body covers the first element")
    func signatureArray() async throws {
        var options = OutboundHarness.Options()
        options.sharedSecret = "segment-secret"
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        let first = track("a1").encoded()
        let body = Data("[".utf8) + first + Data(",".utf8) + track("a2").encoded() + Data("]".utf8)
        let signature = SegmentSignature.sign(body: Array(first), secret: "segment-secret")
        let answer = try await harness.post(body: body, headers: [("Content-Type", "application/json"), ("X-Signature", signature)])
        #expect(answer.status == 200)
        #expect(counts(answer.json) == (2, 0, 0, 0))
    }

    @Test("write keys on /v1/*: Basic auth or body writeKey; unknown or missing → 401")
    func writeKeys() async throws {
        var options = OutboundHarness.Options()
        options.writeKeys = ["wk-good"]
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        let basic = "Basic " + Data("wk-good:".utf8).base64EncodedString()
        let viaHeader = try await harness.post(
            "/v1/track",
            json: track("k1"),
            headers: [("Content-Type", "application/json"), ("Authorization", basic)]
        )
        #expect(viaHeader.status == 200)
        var withKey = track("k2").objectValue ?? [:]
        withKey["writeKey"] = "wk-good"
        #expect(try await harness.post("/v1/track", json: .object(withKey)).status == 200)
        let unknown = "Basic " + Data("wk-bad:".utf8).base64EncodedString()
        let refused = try await harness.post(
            "/v1/track",
            json: track("k3"),
            headers: [("Content-Type", "application/json"), ("Authorization", unknown)]
        )
        #expect(refused.status == 401)
        #expect(refused.json["message"] == "unknown write key")
        // An unknown key in the header is refused before the body is read: nothing is decompressed.
        let notGzip = try await harness.post(
            "/v1/track",
            body: Data("not gzip".utf8),
            headers: [("Content-Type", "application/json"), ("Content-Encoding", "gzip"), ("Authorization", unknown)]
        )
        #expect(notGzip.status == 401)
        let missing = try await harness.post("/v1/track", json: track("k4"))
        #expect(missing.status == 401)
        try await harness.drained()
        #expect(Set(harness.novu.requests.compactMap { $0.json["transactionId"]?.stringValue }) == ["seg-k1", "seg-k2"])
        // The key sent in the body is not kept with the event (the dead-letter queue shows what is kept).
        let kept = try await harness.store.keptEvents(destination: "novu")
        #expect(kept.count == 2)
        #expect(kept.allSatisfy { !$0.contains("wk-good") && !$0.contains("writeKey") })
        #expect(kept.contains { $0.contains("\"k2\"") })
    }

    @Test("an array with invalid events → 200, the bad indexes under rejected, the good ones queued")
    func partialBatch() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        let events: JSONValue = [
            track("p0"), track("p1", properties: ["name": "wf"]), "not an object", track("p3"),
            ["type": "identify", "messageId": "p4"],
        ]
        let answer = try await harness.post(json: events)
        #expect(answer.status == 200)
        #expect(counts(answer.json) == (2, 0, 0, 3))
        #expect(
            answer.json["rejected"]
                == [
                    ["index": 1, "error": "environment property is required"],
                    ["index": 2, "error": "event must be a JSON object"],
                    ["index": 4, "error": "userId is required for identify"],
                ]
        )
        try await harness.drained()
        #expect(Set(harness.novu.requests.compactMap { $0.json["transactionId"]?.stringValue }) == ["seg-p0", "seg-p3"])
        #expect(answer.json["rejectedTotal"] == nil)
    }

    @Test("an answer lists the first 100 rejections, and how many there were in all")
    func manyRejections() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        // Every rejection was listed: an 8 KB gzip body of 4 million zeros was answered with 230 MB.
        let answer = try await harness.post(body: Data(("[" + Array(repeating: "0", count: 5000).joined(separator: ",") + "]").utf8))
        #expect(answer.status == 200)
        #expect(answer.json["rejected"]?.arrayValue?.count == 100)
        #expect(answer.json["rejected"]?.arrayValue?.last == ["index": 99, "error": "event must be a JSON object"])
        #expect(answer.json["rejectedTotal"] == 5000)
        #expect(answer.json["accepted"] == 0)
    }

    @Test("/v1/<type> fills a missing type; /v1/batch merges shared context and integrations")
    func sdkRoutes() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        let identify: JSONValue = ["messageId": "i1", "userId": "u9", "traits": ["email": "x@y.z"]]
        #expect(try await harness.post("/v1/identify", json: identify).status == 200)
        let batch: JSONValue = [
            "batch": [
                ["type": "identify", "messageId": "b1", "userId": "u8", "traits": ["email": "a@b.c"]],
                ["type": "identify", "messageId": "b2", "userId": "u7", "context": ["locale": "fr-FR"]],
            ],
            "context": ["locale": "de-DE", "timezone": "Europe/Berlin"],
            "sentAt": "2026-11-28T10:00:00.000Z",
        ]
        let answer = try await harness.post("/v1/batch", json: batch)
        #expect(answer.status == 200)
        #expect(counts(answer.json) == (2, 0, 0, 0))
        try await harness.drained()
        let bodies = Dictionary(uniqueKeysWithValues: harness.novu.requests.map { ($0.json["subscriberId"]?.stringValue ?? "", $0.json) })
        #expect(bodies["u9"]?["email"] == "x@y.z")
        #expect(bodies["u8"]?["locale"] == "de-DE")
        #expect(bodies["u7"]?["locale"] == "fr-FR")
        #expect(bodies["u7"]?["timezone"] == "Europe/Berlin")
    }

    @Test("gzip bodies are accepted")
    func gzip() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        var buffer = ByteBuffer(bytes: track("gz").encoded())
        let compressed = try buffer.compress(with: .gzip())
        let answer = try await harness.post(
            "/v1/track",
            body: Data(compressed.readableBytesView),
            headers: [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
        )
        #expect(answer.status == 200)
        #expect(counts(answer.json) == (1, 0, 0, 0))
    }

    @Test("events from the bridge's own library are ignored (loop guard)")
    func loopGuard() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        var event = track("loop").objectValue ?? [:]
        event["context"] = ["library": ["name": "novu-segment-bridge", "version": "0.1.0"]]
        let answer = try await harness.post(json: .object(event))
        #expect(counts(answer.json) == (0, 0, 1, 0))
        #expect(try await harness.store.stateCounts().isEmpty)
    }

    @Test("an event without messageId gets one, and is queued")
    func assignsMessageId() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        var event = track("x").objectValue ?? [:]
        event["messageId"] = nil
        #expect(counts(try await harness.post(json: .object(event)).json) == (1, 0, 0, 0))
        let request = try #require(try await harness.novu.waitForRequests(1).first)
        #expect(request.json["transactionId"]?.stringValue?.hasPrefix("seg-bridge-") == true)
    }

    @Test("/segment is the same as /")
    func segmentAlias() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        #expect(try await harness.post("/segment", json: track("s1")).status == 200)
    }
}
