import Delivery
import Foundation
import Inbound
import JSON
import Testing

/// What the activity poller reads out of Novu's messages and activity feed (DESIGN §10), as tables.
@Suite("Activity changes")
struct ActivityChangeTests {
    static func message(_ fields: [String: JSONValue]) -> [String: JSONValue] {
        var message: [String: JSONValue] = [
            "_id": "m1", "channel": "email", "status": "sent", "createdAt": "2026-12-06T10:00:00.000Z", "deliveredAt": [],
            "seen": false, "read": false,
        ]
        message.merge(fields) { _, new in new }
        return message
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var fields: [String: JSONValue]
        var emitted: Set<String>
        var changes: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "just sent", fields: [:], emitted: [], changes: ["message.sent"]),
        Case(name: "sent already emitted", fields: [:], emitted: ["message.sent"], changes: []),
        Case(
            name: "delivered",
            fields: ["deliveredAt": ["2026-12-06T10:00:01.000Z"]],
            emitted: ["message.sent"],
            changes: ["message.delivered"]
        ),
        Case(
            name: "delivered twice (snoozed): one change",
            fields: ["deliveredAt": ["2026-12-06T10:00:01.000Z", "2026-12-07T10:00:00.000Z"]],
            emitted: ["message.sent", "message.delivered"],
            changes: []
        ),
        Case(name: "seen by flag", fields: ["seen": true], emitted: ["message.sent"], changes: ["message.seen"]),
        Case(
            name: "seen by date, read by date",
            fields: ["lastSeenDate": "2026-12-06T11:00:00.000Z", "lastReadDate": "2026-12-06T11:01:00.000Z"],
            emitted: [],
            changes: ["message.sent", "message.seen", "message.read"]
        ),
        Case(
            name: "failed is the whole story",
            fields: ["status": "error", "errorText": "bounced"],
            emitted: [],
            changes: ["message.failed"]
        ),
        Case(name: "warning counts as sent", fields: ["status": "warning"], emitted: [], changes: ["message.sent"]),
        Case(name: "empty dates are no dates", fields: ["lastSeenDate": ""], emitted: ["message.sent"], changes: []),
    ]

    @Test("a message's changes not yet emitted, in the order they happen", arguments: cases)
    func changes(_ row: Case) {
        let found = ActivityChange.changes(message: Self.message(row.fields), emitted: row.emitted)
        #expect(found.map(\.type) == row.changes)
    }

    @Test("each change carries the moment Novu recorded")
    func moments() {
        let found = ActivityChange.changes(
            message: Self.message(["deliveredAt": ["2026-12-06T10:00:01.000Z"], "lastSeenDate": "2026-12-06T11:00:00.000Z"]),
            emitted: []
        )
        #expect(found.map(\.at) == ["2026-12-06T10:00:00.000Z", "2026-12-06T10:00:01.000Z", "2026-12-06T11:00:00.000Z"])
    }

    @Test("provider events are read for an email until it was both opened and clicked")
    func wantsProviderEvents() {
        #expect(ActivityChange.wantsProviderEvents(message: Self.message([:]), emitted: ["message.sent"]))
        #expect(ActivityChange.wantsProviderEvents(message: Self.message([:]), emitted: ["message.seen"]))
        #expect(!ActivityChange.wantsProviderEvents(message: Self.message([:]), emitted: ["message.seen", "message.clicked"]))
        #expect(!ActivityChange.wantsProviderEvents(message: Self.message(["channel": "sms"]), emitted: []))
        #expect(!ActivityChange.wantsProviderEvents(message: Self.message(["status": "error"]), emitted: []))
    }

    static func detail(_ detail: String, raw: String? = nil, source: String = "Webhook") -> JSONValue {
        var object: [String: JSONValue] = [
            "_id": "d", "createdAt": "2026-12-06T10:06:00.000Z", "status": "Success", "detail": .string(detail),
            "source": .string(source), "isRetry": false, "isTest": false,
        ]
        if let raw { object["raw"] = .string(raw) }
        return .object(object)
    }

    static func feed(jobId: String = "j1", notificationId: String = "n1", _ details: [JSONValue]) -> [JSONValue] {
        [["_id": .string(notificationId), "jobs": [["_id": .string(jobId), "type": "email", "executionDetails": .array(details)]]]]
    }

    @Test("opens, clicks (with the link) and deliveries from the provider's webhooks; other sources are not provider events")
    func providerEvents() {
        let messages = [Self.message(["_jobId": "j1", "_notificationId": "n1"])]
        let found = ProviderEvents.changes(
            notifications: Self.feed([
                Self.detail("Message delivered - (delivered)"),
                Self.detail("Open - (opened)"),
                Self.detail("Click - (clicked)", raw: #"{"event":"click","url":"https://a.example/x"}"#),
                Self.detail("Click - (clicked)", raw: #"{"event":"click","url":"https://a.example/second"}"#),
                Self.detail("Message sent - (opened)", source: "Internal"),
                Self.detail("Bounce - (bounced)"),
            ]),
            messages: messages
        )
        #expect(found["m1"]?.map(\.type) == ["message.delivered", "message.seen", "message.clicked"])
        #expect(found["m1"]?.last?.link == "https://a.example/x")
        #expect(found["m1"]?.first?.at == "2026-12-06T10:06:00.000Z")
    }

    @Test("a detail without a status in parentheses is read from the raw row's event")
    func rawEvent() {
        let found = ProviderEvents.changes(
            notifications: Self.feed([Self.detail("Click", raw: #"{"event":"click","click":{"link":"https://ses.example"}}"#)]),
            messages: [Self.message(["_jobId": "j1"])]
        )
        #expect(found["m1"] == [ActivityChange(type: "message.clicked", at: "2026-12-06T10:06:00.000Z", link: "https://ses.example")])
    }

    @Test("a job is matched to its message by _jobId, else to the only email of its notification, else to none")
    func matching() {
        let details = [Self.detail("Open - (opened)")]
        let byNotification = [Self.message(["_notificationId": "n1"]), Self.message(["_id": "m2", "_notificationId": "n2"])]
        #expect(ProviderEvents.changes(notifications: Self.feed(details), messages: byNotification).keys.sorted() == ["m1"])
        let ambiguous = [Self.message(["_notificationId": "n1"]), Self.message(["_id": "m2", "_notificationId": "n1"])]
        #expect(ProviderEvents.changes(notifications: Self.feed(details), messages: ambiguous).isEmpty)
        let named = [Self.message(["_notificationId": "n1"]), Self.message(["_id": "m2", "_notificationId": "n1", "_jobId": "j1"])]
        #expect(ProviderEvents.changes(notifications: Self.feed(details), messages: named).keys.sorted() == ["m2"])
    }
}
