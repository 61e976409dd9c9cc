import Inbound
import Testing

@Suite("Webhook event types of --events")
struct WebhookEventTypesTests {
    static let cases: [(text: String, types: [String])] = [
        ("message.delivered", ["message.delivered"]),
        ("message.delivered,preference.updated", ["message.delivered", "preference.updated"]),
        ("preference.updated message.sent", ["message.sent", "preference.updated"]),
        ("message.sent,message.sent", ["message.sent"]),
        (
            "message.*",
            [
                "message.archived", "message.deleted", "message.delivered", "message.failed", "message.read", "message.seen",
                "message.sent", "message.snoozed", "message.unarchived", "message.unread", "message.unsnoozed",
            ]
        ),
        (
            "workflow.*,preference.updated",
            ["preference.updated", "workflow.created", "workflow.deleted", "workflow.published", "workflow.updated"]
        ),
        ("message.un*", ["message.unarchived", "message.unread", "message.unsnoozed"]),
    ]

    @Test("names and globs expand to Novu's types, sorted, once each", arguments: cases)
    func expand(text: String, types: [String]) throws {
        #expect(try WebhookEventTypes.expand(text) == types)
    }

    @Test("* is the whole catalogue")
    func everything() throws {
        #expect(try WebhookEventTypes.expand("*") == WebhookEventTypes.catalogue.sorted())
    }

    @Test("an unknown name, a glob matching nothing, or nothing at all is refused", arguments: ["message.deliverd", "sms.*", "", " , "])
    func unknown(text: String) {
        #expect(throws: WebhookEventTypes.UnknownType.self) { try WebhookEventTypes.expand(text) }
    }

    @Test("the default is the message types the bridge maps, and preference.updated")
    func bridgeDefault() {
        #expect(
            WebhookEventTypes.bridgeDefault == [
                "message.delivered", "message.failed", "message.read", "message.seen", "message.sent", "preference.updated",
            ]
        )
        #expect(WebhookEventTypes.bridgeDefault.allSatisfy(WebhookEventTypes.catalogue.contains))
    }
}
