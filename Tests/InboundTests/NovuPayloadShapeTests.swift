import Delivery
import Foundation
import Inbound
import JSON
import TestSupport
import Testing

/// Shapes real Novu sends that the fixtures did not show.
@Suite("Novu payload shapes")
struct NovuPayloadShapeTests {
    static func webhook(type: String = "message.delivered", message: [String: JSONValue], data: [String: JSONValue] = [:]) -> NovuWebhook? {
        var fields = data
        fields["object"] = .object(message.merging(["_id": "m1", "channel": "email", "workflowId": "wf"]) { mine, _ in mine })
        return NovuWebhook(json: ["id": "evt_1", "type": .string(type), "timestamp": "2026-12-06T10:00:00Z", "data": .object(fields)])
    }

    static let subscriberCases: [(name: String, message: [String: JSONValue], data: [String: JSONValue], userId: String?)] = [
        ("on the message", ["subscriberId": "u-1"], [:], "u-1"),
        ("only inside subscriber (older Novu builds)", ["subscriber": ["subscriberId": "u-2", "_id": "internal"]], [:], "u-2"),
        ("the message's own wins", ["subscriberId": "u-3", "subscriber": ["subscriberId": "other"]], [:], "u-3"),
        ("beside the message (preference events)", [:], ["subscriberId": "u-4"], "u-4"),
        ("never Novu's internal id", ["_subscriberId": "665f0c1e3b5a4d2c1f0e9d8a"], [:], nil),
        ("an empty one is none", ["subscriberId": "", "subscriber": ["subscriberId": ""]], [:], nil),
    ]

    @Test(
        "the subscriber of a message webhook: subscriberId, else subscriber.subscriberId, never _subscriberId",
        arguments: subscriberCases
    )
    func subscriber(name: String, message: [String: JSONValue], data: [String: JSONValue], userId: String?) throws {
        let webhook = try #require(Self.webhook(message: message, data: data))
        #expect(webhook.subscriberId == userId, "\(name)")
        let outcome = FeedbackEvent.make(webhook, names: FeedbackNames(), cause: nil, libraryVersion: "1")
        switch outcome {
        case .track(_, let user, _): #expect(user == userId, "\(name)")
        case .undeliverable: #expect(userId == nil, "\(name)")
        case .ignored: Issue.record("\(name): ignored")
        }
    }

    @Test("message.sent carries the error Novu reported with it; without one it has no error property")
    func sentWithError() throws {
        let failedProvider = try #require(
            Self.webhook(type: "message.sent", message: ["subscriberId": "u"], data: ["error": ["message": "provider timeout, retrying"]])
        )
        guard case .track(let event, _, _) = FeedbackEvent.make(failedProvider, names: FeedbackNames(), cause: nil, libraryVersion: "1")
        else { throw TestFailure("not a track event") }
        #expect(event["properties"]?["error"] == "provider timeout, retrying")

        let clean = try #require(Self.webhook(type: "message.sent", message: ["subscriberId": "u"]))
        guard case .track(let plain, _, _) = FeedbackEvent.make(clean, names: FeedbackNames(), cause: nil, libraryVersion: "1")
        else { throw TestFailure("not a track event") }
        #expect(plain["properties"]?["error"] == nil)
    }
}
