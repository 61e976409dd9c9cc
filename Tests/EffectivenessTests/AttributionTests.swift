import Delivery
import Effectiveness
import Foundation
import JSON
import Testing

/// Which notification a goal credits (DESIGN §11), as tables over hand-made messages.
@Suite("Conversion attribution")
struct AttributionTests {
    static let t0 = Date(timeIntervalSince1970: 1_796_000_000)
    static let hour: TimeInterval = 3600

    static func message(
        _ id: String,
        tx: String,
        user: String = "u1",
        workflow: String = "cart",
        delivered: TimeInterval? = 0,
        opened: TimeInterval? = nil,
        clicked: TimeInterval? = nil
    ) -> FunnelMessage {
        func at(_ hours: TimeInterval?) -> Date? { hours.map { t0.addingTimeInterval($0 * hour) } }
        return FunnelMessage(
            messageId: id,
            transactionId: tx,
            userId: user,
            workflow: workflow,
            channel: "email",
            provider: "sendgrid",
            firstSeenAt: at(delivered) ?? t0,
            sentAt: at(delivered) ?? t0,
            deliveredAt: at(delivered),
            openedAt: at(opened),
            clickedAt: at(clicked)
        )
    }

    static func goal(
        at hours: TimeInterval,
        user: String = "u1",
        event: String = "Order Completed",
        properties: [String: JSONValue] = [:],
        transactions: [String] = []
    ) -> Goal {
        Goal(
            userId: user,
            event: event,
            messageId: "goal-\(hours)",
            timestamp: t0.addingTimeInterval(hours * hour),
            properties: properties,
            transactionIds: transactions
        )
    }

    static let rules = ConversionRules([ConversionRule(workflow: "cart", goal: "Order Completed", window: 72 * hour, value: "revenue")])

    static func credit(_ goal: Goal, _ messages: [FunnelMessage], rules: ConversionRules = rules) -> [String] {
        Attribution.conversions(for: goal, rules: rules, messages: messages, triggers: [:]).map {
            "\($0.message.messageId) \($0.attribution.rawValue) \($0.attributionType) \($0.touch.rawValue)"
        }
    }

    @Test(
        "the goal's time against the window, counted from delivery",
        arguments: [
            (-1.0, [String]()), (0, ["m1 last_touch influenced delivered"]), (71.9, ["m1 last_touch influenced delivered"]),
            (72, ["m1 last_touch influenced delivered"]), (72.1, []),
        ] as [(Double, [String])]
    )
    func window(hours: Double, credited: [String]) {
        #expect(Self.credit(Self.goal(at: hours), [Self.message("m1", tx: "a")]) == credited)
    }

    @Test("without a delivery report, the window counts from sending")
    func fromSending() {
        var sentOnly = Self.message("m1", tx: "a", delivered: nil)
        sentOnly.sentAt = Self.t0
        #expect(Self.credit(Self.goal(at: 10), [sentOnly]) == ["m1 last_touch influenced sent"])
    }

    @Test("last touch: the most recent notification whose window holds the goal; opened or clicked is direct")
    func lastTouch() {
        let messages = [
            Self.message("old", tx: "a", delivered: 0, opened: 1),
            Self.message("new", tx: "b", delivered: 5, clicked: 6),
            Self.message("later", tx: "c", delivered: 20),
        ]
        #expect(Self.credit(Self.goal(at: 10), messages) == ["new last_touch direct clicked"])
        // An open after the goal is no touch of it.
        #expect(Self.credit(Self.goal(at: 5.5), messages) == ["new last_touch influenced delivered"])
    }

    @Test("a goal naming its transaction converts that one, explicitly")
    func explicit() {
        let messages = [Self.message("m1", tx: "a", opened: 1), Self.message("m2", tx: "b", delivered: 5)]
        #expect(Self.credit(Self.goal(at: 10, transactions: ["a"]), messages) == ["m1 explicit direct opened"])
        // A transaction that is no notification of this user's falls back to last touch.
        #expect(Self.credit(Self.goal(at: 10, transactions: ["zzz"]), messages) == ["m2 last_touch influenced delivered"])
    }

    @Test("another user, another workflow, another event or a failed filter credit nothing")
    func nothingToCredit() {
        let messages = [Self.message("m1", tx: "a")]
        #expect(Self.credit(Self.goal(at: 1, user: "u2"), messages).isEmpty)
        #expect(Self.credit(Self.goal(at: 1), [Self.message("m1", tx: "a", workflow: "welcome")]).isEmpty)
        #expect(Self.credit(Self.goal(at: 1, event: "Product Viewed"), messages).isEmpty)
        let usd = ConversionRules([ConversionRule(workflow: "*", goal: "Order Completed", filter: ["currency": "USD"])])
        #expect(Self.credit(Self.goal(at: 1, properties: ["currency": "EUR"]), messages, rules: usd).isEmpty)
        #expect(Self.credit(Self.goal(at: 1, properties: ["currency": "USD"]), messages, rules: usd).count == 1)
    }

    @Test("two rules crediting one transaction for one goal make one conversion")
    func oncePerTransactionAndGoal() {
        let rules = ConversionRules([
            ConversionRule(workflow: "cart", goal: "Order Completed"), ConversionRule(workflow: "*", goal: "Order Completed"),
        ])
        #expect(Self.credit(Self.goal(at: 1), [Self.message("m1", tx: "a")], rules: rules).count == 1)
    }

    @Test("value, revenue and currency from the goal; the message id is stable, per transaction and goal, and short")
    func properties() throws {
        let goal = Self.goal(at: 2, properties: ["revenue": .double(42.5), "currency": "USD"])
        let conversion = try #require(
            Attribution.conversions(for: goal, rules: Self.rules, messages: [Self.message("m1", tx: "a")], triggers: [:]).first
        )
        #expect(conversion.value == 42.5)
        #expect(conversion.currency == "USD")
        #expect(conversion.timeToConvert == 2 * Self.hour)
        #expect(conversion.messageId == Conversion.messageId(transactionId: "a", goal: "Order Completed"))
        #expect(conversion.messageId.hasPrefix("novu-conv-"))
        #expect(conversion.messageId.count <= 100)
        #expect(conversion.messageId != Conversion.messageId(transactionId: "b", goal: "Order Completed"))
        #expect(conversion.messageId != Conversion.messageId(transactionId: "a", goal: "Signed Up"))
    }

    @Test("a Segment event as a goal: user, time, and the transaction it names")
    func goalFromEvent() throws {
        let event: JSONValue = [
            "type": "track", "event": "Order Completed", "userId": "u1", "messageId": "ajs-1",
            "timestamp": "2026-12-01T10:00:00.000Z", "properties": ["transaction_id": "tx-1"],
            "context": ["campaign": ["name": "tx-2"]],
        ]
        let goal = try #require(Goal(event: event, receivedAt: Self.t0))
        #expect(goal.transactionIds == ["tx-1", "tx-2"])
        #expect(goal.timestamp == Date(timeIntervalSince1970: 1_796_119_200))
        #expect(Goal(event: ["event": "Order Completed", "messageId": "x"], receivedAt: Self.t0) == nil)
    }
}

@Suite("Conversion rules")
struct ConversionRulesTests {
    static func parse(_ yaml: JSONValue) throws(ConversionRulesError) -> ConversionRules {
        try ConversionRules(file: ["conversions": yaml])
    }

    @Test("defaults: a 72 h window, no filter, no value")
    func defaults() throws {
        let rules = try Self.parse([["workflow": "cart", "goal": "Order Completed"]])
        #expect(rules.rules == [ConversionRule(workflow: "cart", goal: "Order Completed", window: 72 * 3600)])
        #expect(rules.goals == ["Order Completed"])
        #expect(rules.window(workflow: "cart") == TimeInterval(72 * 3600))
        #expect(rules.window(workflow: "other") == nil)
    }

    @Test(
        "a bad entry names its key",
        arguments: [
            (JSONValue.string("x"), "conversions"),
            (["x"], "conversions[0]"),
            ([["goal": "G"]], "conversions[0].workflow"),
            ([["workflow": "w"]], "conversions[0].goal"),
            ([["workflow": "w", "goal": "G", "window": "30m"]], "conversions[0].window"),
            ([["workflow": "w", "goal": "G", "window": "91d"]], "conversions[0].window"),
            ([["workflow": "w", "goal": "G", "where": ["a": ["b": 1]]]], "conversions[0].where"),
            ([["workflow": "w", "goal": "G", "value": 3]], "conversions[0].value"),
            ([["workflow": "w", "goal": "G", "windw": "1h"]], "conversions[0].windw"),
        ] as [(JSONValue, String)]
    )
    func problems(section: JSONValue, key: String) {
        #expect(throws: ConversionRulesError.self) { try Self.parse(section) }
        do {
            _ = try Self.parse(section)
        } catch {
            #expect(error.key == key)
        }
    }

    @Test("windows from 1h to 90d")
    func windowRange() throws {
        #expect(try Self.parse([["workflow": "w", "goal": "G", "window": "1h"]]).rules[0].window == 3600)
        #expect(try Self.parse([["workflow": "w", "goal": "G", "window": "90d"]]).rules[0].window == 90 * 86400)
    }
}
