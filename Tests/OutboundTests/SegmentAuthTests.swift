import CompressNIO
import Delivery
import Foundation
import JSON
import NIOCore
import Outbound
import TestSupport
import Testing

/// Attacks on the segment port's authentication, each refused as DESIGN §9 says, with nothing queued.
@Suite("Segment port, authentication")
struct SegmentAuthTests {
    static let secret = "segment-secret"

    static func event(_ id: String, type: String = "identify", user: String = "u1") -> String {
        #"{"type":"\#(type)","messageId":"\#(id)","userId":"\#(user)","traits":{"email":"a@example.com"}}"#
    }

    func signed(_ body: String, signing first: String) -> [(String, String)] {
        [("Content-Type", "application/json"), ("X-Signature", SegmentSignature.sign(body: Array(first.utf8), secret: Self.secret))]
    }

    @Test("a signed request replayed with events appended is refused SignatureReplayed; a byte-identical retry is a duplicate")
    func appendedBatchForgery() async throws {
        var options = OutboundHarness.Options()
        options.sharedSecret = Self.secret
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        let first = Self.event("orig-1")
        let original = "[\(first)]"
        let headers = signed(original, signing: first)
        let accepted = try await harness.post(body: Data(original.utf8), headers: headers)
        #expect(accepted.status == 200)
        #expect(counts(accepted.json) == (1, 0, 0, 0))
        // The same signature, the same first element, other events after it: Segment's signature
        // covers the first element only, so before the fix every appended event was queued.
        let forged = "[\(first),\(Self.event("forged-1", user: "victim")),\(Self.event("forged-2", type: "delete", user: "victim"))]"
        let refused = try await harness.post(body: Data(forged.utf8), headers: headers)
        #expect(refused.status == 401)
        #expect(refused.json["error"] == "SignatureReplayed")
        // Segment retrying the original request, byte for byte, is still a duplicate.
        let retried = try await harness.post(body: Data(original.utf8), headers: headers)
        #expect(retried.status == 200)
        #expect(counts(retried.json) == (0, 1, 0, 0))
        // And the same signature in upper case is the same signature.
        let upper = [("Content-Type", "application/json"), ("X-Signature", headers[1].1.uppercased())]
        #expect(try await harness.post(body: Data(forged.utf8), headers: upper).json["error"] == "SignatureReplayed")
        try await harness.drained()
        #expect(harness.novu.requests.count == 1)
        #expect(try await harness.store.stateCounts() == ["delivered": 1])
    }

    @Test("delete is taken alone on POST /, never inside an array")
    func deleteOnlyAlone() async throws {
        let harness = try await OutboundHarness()
        defer { harness.stop() }
        let batch = "[\(Self.event("d-0")),\(Self.event("d-1", type: "delete", user: "u2"))]"
        let answer = try await harness.post(body: Data(batch.utf8))
        #expect(answer.status == 200)
        #expect(counts(answer.json) == (1, 0, 0, 1))
        #expect(answer.json["rejected"]?.arrayValue?.first?["error"]?.stringValue?.contains("only as a single event") == true)
        let alone = try await harness.post(body: Data(Self.event("d-2", type: "delete", user: "u2").utf8))
        #expect(alone.status == 200)
        #expect(counts(alone.json) == (1, 0, 0, 0))
    }

    @Test("SEGMENT_AUTH_TOKEN: a missing or wrong bearer token is refused; either of two tokens (rotation) is taken")
    func bearerToken() async throws {
        var options = OutboundHarness.Options()
        options.authTokens = ["tok-new", "tok-old"]
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        let body = Data(Self.event("t-1").utf8)
        let json = ("Content-Type", "application/json")
        #expect(try await harness.post(body: body, headers: [json]).status == 401)
        #expect(try await harness.post(body: body, headers: [json, ("Authorization", "Bearer tok-wrong")]).status == 401)
        #expect(try await harness.post(body: body, headers: [json, ("Authorization", "Basic dG9rLW5ldzo=")]).status == 401)
        #expect(try await harness.post(body: body, headers: [json, ("Authorization", "Bearer tok-old")]).status == 200)
        let again = try await harness.post(body: Data(Self.event("t-2").utf8), headers: [json, ("Authorization", "Bearer tok-new")])
        #expect(again.status == 200)
        try await harness.drained()
        #expect(try await harness.store.stateCounts() == ["delivered": 2])
    }

    @Test("with write keys set, a body whose writeKey is unknown is refused before it is parsed")
    func writeKeyBeforeParse() async throws {
        var options = OutboundHarness.Options()
        options.writeKeys = ["wk-good"]
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        // Not JSON past its writeKey: parsed first, this was a 400 InvalidJSON; now the key decides.
        let broken = Data(#"{"writeKey":"wk-bad","batch":[{"type":"track" this is not json"#.utf8)
        let refused = try await harness.post("/v1/batch", body: broken)
        #expect(refused.status == 401)
        #expect(refused.json["message"] == "unknown write key")
        let good = Data(#"{"writeKey":"wk-good","batch":[{"type":"identify","messageId":"wk-1","userId":"u1"}]}"#.utf8)
        #expect(try await harness.post("/v1/batch", body: good).status == 200)
        // An escaped key name is the same key.
        let escaped = Data(#"{"write\u004bey":"wk-good","batch":[{"type":"identify","messageId":"wk-2","userId":"u1"}]}"#.utf8)
        #expect(try await harness.post("/v1/batch", body: escaped).status == 200)
        #expect(try await harness.post("/v1/batch", body: Data(#"{"batch":[]}"#.utf8)).json["message"] == "a write key is required")
    }

    @Test("with write keys set, a compressed body without a key in Authorization is refused before it is inflated")
    func compressedWithoutAuthorization() async throws {
        var options = OutboundHarness.Options()
        options.writeKeys = ["wk-good"]
        options.bodyLimit = 64 * 1024
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        // 8 MB of spaces inflate from a few KB: before the fix this was inflated (and refused 413) for a
        // request that named no key at all.
        var plain = ByteBuffer(bytes: Array(repeating: UInt8(ascii: " "), count: 8 * 1024 * 1024))
        let bomb = try plain.compress(with: .gzip())
        let headers = [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
        let refused = try await harness.post("/v1/batch", body: Data(bomb.readableBytesView), headers: headers)
        #expect(refused.status == 401)
        #expect(refused.json["message"]?.stringValue?.contains("HTTP Basic") == true)
        let authorized = headers + [("Authorization", "Basic " + Data("wk-good:".utf8).base64EncodedString())]
        #expect(try await harness.post("/v1/batch", body: Data(bomb.readableBytesView), headers: authorized).status == 413)
    }

    @Test("a classic Webhooks delete, one object signed whole, deletes the Novu subscriber once; without messageId too")
    func classicDelete() async throws {
        var options = OutboundHarness.Options()
        options.sharedSecret = Self.secret
        let harness = try await OutboundHarness(options: options) { _ in FakeResponse(status: 204) }
        defer { harness.stop() }
        let fixture = try Shared.fixture("segment-classic-delete.json")
        let headers = [
            ("Content-Type", "application/json"), ("X-Signature", SegmentSignature.sign(body: Array(fixture), secret: Self.secret)),
        ]
        let answer = try await harness.post(body: fixture, headers: headers)
        #expect(answer.status == 200)
        #expect(counts(answer.json) == (1, 0, 0, 0))
        // The classic destination sends no messageId: one is assigned, and the delete still goes out.
        let bare = Data(#"{"type":"delete","userId":"user-0998","timestamp":"2026-11-28T10:00:04.000Z"}"#.utf8)
        let signed = [("Content-Type", "application/json"), ("X-Signature", SegmentSignature.sign(body: Array(bare), secret: Self.secret))]
        #expect(counts(try await harness.post(body: bare, headers: signed).json) == (1, 0, 0, 0))
        try await harness.drained()
        let deletes = harness.novu.requests.filter { $0.method == "DELETE" }.map(\.path).sorted()
        #expect(deletes == ["/v2/subscribers/user-0998", "/v2/subscribers/user-0999"])
        // Its signature no longer fits other bytes.
        let forged = Data(#"{"type":"delete","userId":"someone-else","timestamp":"2026-11-28T10:00:04.000Z"}"#.utf8)
        #expect(try await harness.post(body: forged, headers: signed).status == 401)
    }
}
