import Delivery
import Foundation
import Inbound
import JSON
import TestSupport
import Testing

@Suite("Feedback event messageIds")
struct FeedbackMessageIdTests {
    func webhook(messageId: String) throws -> NovuWebhook {
        var json = try JSONValue.parse(try Shared.fixture("novu-message-delivered-email.json"))
        guard case .object(var fields) = json, case .object(var data) = fields["data"] ?? .null,
            case .object(var message) = data["object"] ?? .null
        else { throw TestFailure("the fixture has no data.object") }
        message["_id"] = .string(messageId)
        data["object"] = .object(message)
        fields["data"] = .object(data)
        json = .object(fields)
        return try #require(NovuWebhook(json: json))
    }

    @Test("novu-<message _id>-<type>, the same for every delivery of the webhook; hashed past 100 characters")
    func messageIds() throws {
        let short = try webhook(messageId: "6750f0c1e3b5a4d2c1f0e9d8")
        #expect(FeedbackEvent.messageId(for: short) == "novu-6750f0c1e3b5a4d2c1f0e9d8-message.delivered")
        #expect(FeedbackEvent.messageId(for: short) == FeedbackEvent.messageId(for: try webhook(messageId: "6750f0c1e3b5a4d2c1f0e9d8")))

        let longId = String(repeating: "a", count: 120)
        let long = FeedbackEvent.messageId(for: try webhook(messageId: longId))
        // `printf %s "novu-$(printf 'a%.0s' {1..120})-message.delivered" | sha256sum`
        #expect(long == "novu-05800ee12f6ace788c42cc2940f7f05d3da3c217698cf8742111a97381c9dc80")
        #expect(long.utf8.count <= 100)
        #expect(long != FeedbackEvent.messageId(for: try webhook(messageId: longId + "b")))
    }
}
