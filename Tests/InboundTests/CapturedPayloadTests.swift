import Delivery
import Foundation
import Inbound
import JSON
import TestSupport
import Testing

/// The webhook bodies Novu's own code builds (see `Fixtures/novu/README.md` for the source of each),
/// run through the mapper as they arrive.
@Suite("Captured Novu payloads")
struct CapturedPayloadTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/novu")

    /// What one fixture must become.
    struct Expectation: Sendable, CustomTestStringConvertible {
        enum Result: Sendable, Equatable {
            /// A track event with this name, for this user.
            case track(String, userId: String)
            /// Mapped, but dead-lettered: Novu sent no subscriber.
            case undeliverable(String)
            case ignored
        }

        var file: String
        var result: Result
        /// Properties the event must carry, exactly.
        var properties: [String: JSONValue] = [:]
        /// Properties the event must not carry.
        var absent: [String] = []

        var testDescription: String { file }
    }

    static let user = "user-1001"

    /// The message properties every message fixture of the newest builds shares.
    static func common(channel: String, step: String) -> [String: JSONValue] {
        [
            "workflow_id": "order-shipped", "step_id": .string(step), "transaction_id": "seg-fixture-track-1",
            "channel": .string(channel), "environment_id": "ebf1c2d3a4b5",
        ]
    }

    static func props(_ base: [String: JSONValue], _ extra: [String: JSONValue]) -> [String: JSONValue] {
        base.merging(extra) { _, new in new }
    }

    static let emailStep = common(channel: "email", step: "email-step")
    static let inApp = common(channel: "in_app", step: "in-app-step")
    static let inAppMessage: [String: JSONValue] = ["novu_message_id": "6748f0c1a2b3c4d5e6f70104", "provider_id": "novu", "status": "sent"]

    static let cases: [Expectation] = [
        Expectation(
            file: "message.sent.email.json",
            result: .track("Email Sent", userId: user),
            properties: props(
                emailStep,
                [
                    "provider_id": "sendgrid", "status": "sent", "novu_message_id": "6748f0c1a2b3c4d5e6f70101",
                    "email_id": "6748f0c1a2b3c4d5e6f70101", "campaign_id": "order-shipped", "campaign_name": "order-shipped",
                ]
            ),
            absent: ["error"]
        ),
        Expectation(
            file: "message.sent.sms.json",
            result: .track("SMS Sent", userId: user),
            properties: props(common(channel: "sms", step: "sms-step"), ["provider_id": "twilio", "status": "sent"]),
            absent: ["error", "email_id", "campaign"]
        ),
        Expectation(
            file: "message.sent.push.json",
            result: .track("Push Notification Sent", userId: user),
            properties: props(
                common(channel: "push", step: "push-step"),
                ["provider_id": "fcm", "campaign": ["name": "order-shipped", "medium": "Push", "source": "fcm"]]
            ),
            absent: ["error"]
        ),
        Expectation(
            file: "message.sent.in_app.json",
            result: .track("In-App Message Sent", userId: user),
            properties: props(inApp, inAppMessage),
            absent: ["error"]
        ),
        Expectation(
            file: "message.sent.chat.json",
            result: .track("Chat Message Sent", userId: user),
            properties: props(common(channel: "chat", step: "chat-step"), ["provider_id": "slack"]),
            absent: ["error"]
        ),
        // Novu reports a chat provider error as message.sent with an error beside the message.
        Expectation(
            file: "message.sent.chat.error.json",
            result: .track("Chat Message Sent", userId: user),
            properties: props(
                common(channel: "chat", step: "chat-step"),
                ["error": "Request failed with status code 404", "status": "sent"]
            )
        ),
        Expectation(
            file: "message.delivered.in_app.json",
            result: .track("In-App Message Delivered", userId: user),
            properties: props(inApp, inAppMessage)
        ),
        Expectation(
            file: "message.delivered.email.json",
            result: .track("Email Delivered", userId: user),
            properties: props(emailStep, ["provider_id": "sendgrid", "email_id": "6748f0c1a2b3c4d5e6f70101"]),
            absent: ["error"]
        ),
        // The failure's object is the message as it was before the failure: its status still says "sent";
        // the reason is only in data.error.
        Expectation(
            file: "message.failed.email.json",
            result: .track("Email Failed", userId: user),
            properties: props(
                emailStep,
                ["error": "The from address does not match a verified Sender Identity.", "status": "sent"]
            )
        ),
        Expectation(
            file: "message.failed.sms.json",
            result: .track("SMS Failed", userId: user),
            properties: props(
                common(channel: "sms", step: "sms-step"),
                ["error": "The 'To' number +15005550001 is not a valid phone number."]
            )
        ),
        Expectation(
            file: "message.failed.push.json",
            result: .track("Push Notification Bounced", userId: user),
            properties: props(
                common(channel: "push", step: "push-step"),
                [
                    "error": "Requested entity was not found.",
                    "campaign": ["name": "order-shipped", "medium": "Push", "source": "fcm"],
                ]
            )
        ),
        Expectation(file: "message.seen.in_app.json", result: .track("In-App Message Viewed", userId: user), properties: inApp),
        Expectation(file: "message.read.in_app.json", result: .track("In-App Message Read", userId: user), properties: inApp),
        Expectation(file: "message.unread.in_app.json", result: .track("Notification Unread", userId: user), properties: inApp),
        Expectation(file: "message.archived.in_app.json", result: .track("Notification Archived", userId: user), properties: inApp),
        Expectation(file: "message.unarchived.in_app.json", result: .track("Notification Unarchived", userId: user), properties: inApp),
        Expectation(file: "message.snoozed.in_app.json", result: .track("Notification Snoozed", userId: user), properties: inApp),
        Expectation(file: "message.unsnoozed.in_app.json", result: .track("Notification Unsnoozed", userId: user), properties: inApp),
        Expectation(file: "message.deleted.in_app.json", result: .track("Notification Deleted", userId: user), properties: inApp),
        // Older builds: the subscriber only inside `subscriber`, beside Novu's internal `_subscriberId`;
        // no workflowId and no stepId.
        Expectation(
            file: "legacy.message.seen.in_app.subscriber-object.json",
            result: .track("In-App Message Viewed", userId: user),
            properties: ["workflow_id": "order-shipped", "channel": "in_app", "novu_message_id": "6748f0c1a2b3c4d5e6f70120"],
            absent: ["step_id"]
        ),
        Expectation(
            file: "legacy.message.sent.email.no-workflowId.json",
            result: .track("Email Sent", userId: user),
            properties: ["workflow_id": "order-shipped", "campaign_id": "order-shipped", "channel": "email"],
            absent: ["step_id", "error"]
        ),
        Expectation(
            file: "preference.updated.json",
            result: .track("Notification Preferences Updated", userId: user),
            properties: [
                "level": "template", "enabled": true, "workflow_id": "weekly-digest", "workflow_name": "Weekly digest",
                "channels": ["email": false, "sms": true, "in_app": true, "chat": true, "push": true],
                "environment_id": "ebf1c2d3a4b5",
            ]
        ),
        // Older builds sent the preference alone: nobody to attribute it to, so it is dead-lettered, not dropped.
        Expectation(file: "legacy.preference.updated.no-subscriber.json", result: .undeliverable("no subscriber")),
        Expectation(file: "workflow.updated.json", result: .ignored),
        Expectation(file: "email.received.json", result: .ignored),
    ]

    static func load(_ file: String) throws -> JSONValue {
        try JSONValue.parse(try Data(contentsOf: directory.appendingPathComponent(file)))
    }

    @Test("each captured payload becomes its Segment event", arguments: cases)
    func mapped(_ expectation: Expectation) throws {
        let json = try Self.load(expectation.file)
        let webhook = try #require(NovuWebhook(json: json))
        let outcome = FeedbackEvent.make(webhook, names: FeedbackNames(), cause: nil, libraryVersion: "1")
        let messageSubject = try #require(json["data"]?["object"]?["_id"]?.stringValue ?? json["id"]?.stringValue)
        let messageId = "novu-\(messageSubject)-\(webhook.type)"
        let event: JSONValue
        switch (outcome, expectation.result) {
        case (.track(let mapped, let userId, let id), .track(let name, let expectedUser)):
            #expect(mapped["event"] == .string(name))
            #expect(userId == expectedUser)
            #expect(mapped["userId"] == .string(expectedUser))
            #expect(id == messageId)
            event = mapped
        case (.undeliverable(let mapped, let id, let reason), .undeliverable(let expectedReason)):
            #expect(reason == expectedReason)
            #expect(id == messageId)
            #expect(mapped["userId"] == nil)
            event = mapped
        case (.ignored, .ignored):
            return
        default:
            Issue.record("\(expectation.file): \(outcome), expected \(expectation.result)")
            return
        }
        #expect(event["type"] == "track")
        #expect(event["messageId"] == .string(messageId))
        #expect(event["timestamp"] == json["timestamp"])
        let properties = try #require(event["properties"]?.objectValue)
        for (key, value) in expectation.properties {
            #expect(properties[key] == value, "\(key)")
        }
        for key in expectation.absent {
            #expect(properties[key] == nil, "\(key)")
        }
    }

    @Test("every captured payload has a row in the table")
    func everyFixtureIsTested() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".json") }
        #expect(Set(files) == Set(Self.cases.map(\.file)))
    }

    /// Novu's outbound-webhook OpenAPI test requires these keys on every wrapper.
    @Test("every captured payload carries the wrapper Novu sends", arguments: cases.map(\.file))
    func wrapper(_ file: String) throws {
        let json = try Self.load(file)
        for key in ["id", "type", "object", "data", "timestamp", "environmentId"] {
            #expect(json[key] != nil, "\(key)")
        }
        #expect(json["id"]?.stringValue?.hasPrefix("evt_") == true)
        #expect(json["data"]?["object"]?.objectValue != nil)
    }

    @Test("no message payload names the subscriber only by Novu's internal id")
    func subscriberIsExternal() throws {
        for expectation in Self.cases where expectation.file.contains("message.") {
            let message = try #require(try Self.load(expectation.file)["data"]?["object"])
            let external = message["subscriberId"] ?? message["subscriber"]?["subscriberId"]
            #expect(external == .string(Self.user), "\(expectation.file)")
        }
    }
}
