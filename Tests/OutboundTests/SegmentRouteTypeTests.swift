import Delivery
import Foundation
import JSON
import Outbound
import TestSupport
import Testing

@Suite("Event types the /v1/* routes take")
struct SegmentRouteTypeTests {
    static let writeKey = "wk-public"

    static func event(_ type: String, _ messageId: String) -> [String: JSONValue] {
        ["type": .string(type), "userId": "victim", "messageId": .string(messageId), "writeKey": .string(writeKey)]
    }

    @Test("/v1/track refuses a body whose type is another, delete included: 400 naming type, nothing sent")
    func singleRouteTakesItsOwnType() async throws {
        var options = OutboundHarness.Options()
        options.writeKeys = [Self.writeKey]
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        for (route, type) in [("/v1/track", "delete"), ("/v1/track", "identify"), ("/v1/identify", "delete")] {
            let answer = try await harness.post(route, json: .object(Self.event(type, "m-\(type)")))
            #expect(answer.status == 400, "\(route) \(type)")
            #expect(answer.json["error"] == "InvalidEventPayload")
            #expect(answer.json["message"]?.stringValue?.hasPrefix("type is \(type), but \(route)") == true)
        }
        // The route's own type, given or not, is still taken.
        var identify = Self.event("identify", "m-ok")
        identify["traits"] = ["email": "v@example.com"]
        #expect(try await harness.post("/v1/identify", json: .object(identify)).status == 200)
        identify["messageId"] = "m-ok-2"
        identify.removeValue(forKey: "type")
        #expect(try await harness.post("/v1/identify", json: .object(identify)).status == 200)
        try await harness.drained()
        #expect(harness.novu.requests.map(\.method) == ["POST", "POST"])
        #expect(try await harness.store.stateCounts() == ["delivered": 2])
    }

    @Test("/v1/batch rejects delete items (a write key is public) and takes the rest; / still takes delete")
    func noDeleteWithAWriteKey() async throws {
        var options = OutboundHarness.Options()
        options.writeKeys = [Self.writeKey]
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        var identify = Self.event("identify", "b-1")
        identify.removeValue(forKey: "writeKey")
        identify["traits"] = ["email": "v@example.com"]
        var delete = Self.event("delete", "b-0")
        delete.removeValue(forKey: "writeKey")
        let envelope: JSONValue = ["batch": [.object(delete), .object(identify)], "writeKey": .string(Self.writeKey)]
        let answer = try await harness.post("/v1/batch", json: envelope)
        #expect(answer.status == 200)
        #expect(counts(answer.json) == (1, 0, 0, 1))
        #expect(answer.json["rejected"]?.arrayValue?.first?["index"] == 0)
        #expect(answer.json["rejected"]?.arrayValue?.first?["error"]?.stringValue?.hasPrefix("type delete is not taken") == true)
        try await harness.drained()
        #expect(harness.novu.requests.map(\.method) == ["POST"])

        // The route of the classic Webhooks destination, the only sender of deletions, takes one alone.
        #expect(try await harness.post("/", json: ["type": "delete", "userId": "victim", "messageId": "d-1"]).status == 200)
        try await harness.drained()
        #expect(harness.novu.requests.map(\.method) == ["POST", "DELETE"])
    }
}
