import Delivery
import Inbound
import JSON
import Testing

@Suite("Novu → Segment event names")
struct FeedbackNamesTests {
    let names = FeedbackNames()

    static let cells: [(type: String, channel: String, name: String)] = [
        ("message.sent", "email", "Email Sent"), ("message.sent", "push", "Push Notification Sent"),
        ("message.sent", "sms", "SMS Sent"), ("message.sent", "in_app", "In-App Message Sent"),
        ("message.sent", "chat", "Chat Message Sent"),
        ("message.delivered", "email", "Email Delivered"), ("message.delivered", "push", "Push Notification Received"),
        ("message.delivered", "sms", "SMS Delivered"), ("message.delivered", "in_app", "In-App Message Delivered"),
        ("message.delivered", "chat", "Chat Message Delivered"),
        ("message.seen", "email", "Email Opened"), ("message.seen", "push", "Push Notification Tapped"),
        ("message.seen", "sms", "SMS Read"), ("message.seen", "in_app", "In-App Message Viewed"),
        ("message.seen", "chat", "Chat Message Read"),
        ("message.read", "email", "Email Opened"), ("message.read", "push", "Push Notification Tapped"),
        ("message.read", "sms", "SMS Read"), ("message.read", "in_app", "In-App Message Read"),
        ("message.read", "chat", "Chat Message Read"),
        ("message.failed", "email", "Email Failed"), ("message.failed", "push", "Push Notification Bounced"),
        ("message.failed", "sms", "SMS Failed"), ("message.failed", "in_app", "In-App Message Failed"),
        ("message.failed", "chat", "Chat Message Failed"),
        ("message.unread", "email", "Notification Unread"), ("message.archived", "in_app", "Notification Archived"),
        ("message.unarchived", "in_app", "Notification Unarchived"), ("message.snoozed", "in_app", "Notification Snoozed"),
        ("message.unsnoozed", "in_app", "Notification Unsnoozed"), ("message.deleted", "in_app", "Notification Deleted"),
        ("message.bounced_back", "email", "Notification Bounced Back"),
        ("preference.updated", "", "Notification Preferences Updated"),
    ]

    @Test("each cell of the table", arguments: cells)
    func cell(type: String, channel: String, name: String) {
        #expect(names.decide(type: type, channel: channel) == .event(name))
    }

    @Test("workflow.* and email.received are ignored")
    func ignored() {
        #expect(names.decide(type: "workflow.updated", channel: nil) == .ignored(reason: "not a delivery event"))
        #expect(names.decide(type: "email.received", channel: "email") == .ignored(reason: "not a delivery event"))
    }

    @Test("the mapping file renames a cell, or a whole row")
    func overrides() throws {
        let renamed = try FeedbackNames(file: ["feedback": ["message.delivered": ["email": "Email Landed"], "message.seen": "Seen"]])
        #expect(renamed.decide(type: "message.delivered", channel: "email") == .event("Email Landed"))
        #expect(renamed.decide(type: "message.delivered", channel: "sms") == .event("SMS Delivered"))
        #expect(renamed.decide(type: "message.seen", channel: "push") == .event("Seen"))
        #expect(throws: FeedbackNamesError.self) { try FeedbackNames(file: ["feedback": ["message.seen": ["fax": "x"]]]) }
        // An empty name, in either form: Segment would take the event and drop it.
        #expect(throws: FeedbackNamesError.self) { try FeedbackNames(file: ["feedback": ["message.seen": ["email": ""]]]) }
        #expect(throws: FeedbackNamesError.self) { try FeedbackNames(file: ["feedback": ["message.sent": ""]]) }
    }

    @Test("attribution names the causing event, and leaves trigger_event out when that track had no name")
    func attribution() throws {
        let webhook = try #require(
            NovuWebhook(json: [
                "type": "message.delivered", "timestamp": "2026-11-28T10:00:05.000Z",
                "data": ["object": ["_id": "m1", "subscriberId": "u1", "channel": "email", "transactionId": "seg-s1"]],
            ])
        )
        func properties(eventName: String) -> JSONValue? {
            let cause = Correlation(transactionId: "seg-s1", eventName: eventName, messageId: "s1", userId: "u1", workflow: "wf")
            guard case .track(let event, _, _) = FeedbackEvent.make(webhook, names: names, cause: cause, libraryVersion: "1")
            else { return nil }
            return event["properties"]
        }
        #expect(properties(eventName: "Cart")?["trigger_event"] == "Cart")
        #expect(properties(eventName: "Cart")?["trigger_message_id"] == "s1")
        #expect(properties(eventName: "")?["trigger_event"] == nil)
        #expect(properties(eventName: "")?["trigger_message_id"] == "s1")
    }

    @Test("the trigger's Novu context rides along as properties.context; none, and there is no such property")
    func context() throws {
        let webhook = try #require(
            NovuWebhook(json: [
                "type": "message.read", "timestamp": "2026-11-28T10:00:05.000Z",
                "data": ["object": ["_id": "m1", "subscriberId": "u1", "channel": "in_app", "transactionId": "seg-s1"]],
            ])
        )
        func properties(_ context: [String: JSONValue]?) -> JSONValue? {
            let cause = Correlation(
                transactionId: "seg-s1",
                eventName: "Cart",
                messageId: "s1",
                userId: "u1",
                workflow: "wf",
                context: context
            )
            guard case .track(let event, _, _) = FeedbackEvent.make(webhook, names: names, cause: cause, libraryVersion: "1")
            else { return nil }
            return event["properties"]
        }
        #expect(properties(["tenant": "acme", "workspace": "ws-1"])?["context"] == ["tenant": "acme", "workspace": "ws-1"])
        #expect(properties(nil)?["context"] == nil)
        #expect(properties(nil)?["trigger_event"] == "Cart")
    }
}
