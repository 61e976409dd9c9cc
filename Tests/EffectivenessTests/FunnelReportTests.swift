import Delivery
import Effectiveness
import Foundation
import JSON
import Testing

/// The report's arithmetic (DESIGN §11), as tables over hand-made facts.
@Suite("Funnel report")
struct FunnelReportTests {
    static let t0 = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30T00:53:20Z

    static func trigger(_ tx: String, workflow: String = "cart", at offset: TimeInterval = 0) -> FunnelTrigger {
        FunnelTrigger(
            transactionId: tx,
            userId: "u-\(tx)",
            workflow: workflow,
            triggerEvent: "Cart Abandoned",
            triggerMessageId: "m-\(tx)",
            triggeredAt: t0.addingTimeInterval(offset)
        )
    }

    static func message(
        _ id: String,
        tx: String,
        channel: String = "email",
        workflow: String = "cart",
        delivered: TimeInterval? = 10,
        opened: TimeInterval? = nil,
        clicked: TimeInterval? = nil,
        failed: String? = nil,
        converted: TimeInterval? = nil
    ) -> FunnelMessage {
        func at(_ offset: TimeInterval?) -> Date? { offset.map { t0.addingTimeInterval($0) } }
        return FunnelMessage(
            messageId: id,
            transactionId: tx,
            userId: "u-\(tx)",
            workflow: workflow,
            channel: channel,
            provider: channel == "email" ? "sendgrid" : nil,
            firstSeenAt: t0.addingTimeInterval(5),
            sentAt: t0.addingTimeInterval(5),
            deliveredAt: failed == nil ? at(delivered) : nil,
            openedAt: at(opened),
            clickedAt: at(clicked),
            failedAt: failed == nil ? nil : t0.addingTimeInterval(6),
            failure: failed,
            convertedAt: at(converted)
        )
    }

    static func build(_ facts: FunnelFacts, by: [FunnelDimension], now: TimeInterval = 30 * 86400) -> FunnelReport {
        FunnelReport.build(
            facts,
            from: t0.addingTimeInterval(-86400),
            to: t0.addingTimeInterval(86400),
            by: by,
            now: t0.addingTimeInterval(now),
            window: { $0 == "cart" ? 72 * 3600 : nil }
        )
    }

    @Test("counts per stage and the rates of the issue's definitions")
    func ratesByWorkflow() throws {
        let facts = FunnelFacts(
            triggers: [Self.trigger("a"), Self.trigger("b"), Self.trigger("c"), Self.trigger("d")],
            messages: [
                Self.message("1", tx: "a", opened: 70, clicked: 130, converted: 610),
                Self.message("2", tx: "b", opened: 310),
                Self.message("3", tx: "c"),
                Self.message("4", tx: "d", failed: "bounced"),
            ]
        )
        let report = Self.build(facts, by: [.workflow])
        let row = try #require(report.rows.first)
        #expect(report.rows.count == 1)
        #expect(row.workflow == "cart")
        // triggered, sent, delivered, opened, clicked, converted, failed
        #expect(FunnelRow.stages.map { row.count($0) } == [4, 4, 3, 2, 1, 1, 1])
        #expect(row.rates.delivery == 0.75)
        #expect(row.rates.open == 2.0 / 3)
        #expect(row.rates.click == 1.0 / 3)
        #expect(row.rates.clickToOpen == 0.5)
        #expect(row.rates.conversion == 0.25)
        #expect(row.rates.failure == 0.25)
        // Opens 60 s and 300 s after delivery: nearest rank.
        #expect(row.times.medianToOpen == 60)
        #expect(row.times.p90ToOpen == 300)
        #expect(row.times.medianToConvert == 600)
        #expect(report.failures == [FailureCount(reason: "bounced", channel: "email", count: 1)])
        #expect(report.total.counts == row.counts)
        #expect(row.maturing == false)
    }

    @Test("a rate whose denominator the channel cannot report is not available, not 0 %")
    func notAvailable() throws {
        let facts = FunnelFacts(
            triggers: [Self.trigger("a"), Self.trigger("b")],
            messages: [
                // Email without activity tracking: sent, never delivered nor opened.
                Self.message("1", tx: "a", delivered: nil),
                // In-app: Novu reports views, not delivery.
                Self.message("2", tx: "b", channel: "in_app", delivered: 10, opened: 20),
            ]
        )
        let report = Self.build(facts, by: [.channel])
        let email = try #require(report.rows.first { $0.channel == "email" })
        let inApp = try #require(report.rows.first { $0.channel == "in_app" })
        #expect(email.rates.delivery == 0)
        #expect(email.rates.open == nil)
        #expect(email.rates.click == nil)
        #expect(inApp.rates.delivery == nil)
        #expect(inApp.rates.failure == 0)
        // The total's delivery rate leaves in-app out instead of becoming unknown.
        #expect(report.total.rates.delivery == 0)
    }

    @Test("an SMS is never seen to be read: its open rate is not available, and the total's leaves it out")
    func smsOpens() throws {
        let facts = FunnelFacts(
            triggers: [Self.trigger("a"), Self.trigger("b")],
            messages: [Self.message("1", tx: "a", channel: "sms"), Self.message("2", tx: "b", opened: 20)]
        )
        let report = Self.build(facts, by: [.channel])
        let sms = try #require(report.rows.first { $0.channel == "sms" })
        #expect(sms.rates.open == nil)
        #expect(sms.rates.delivery == 1)
        #expect(report.total.rates.open == 1)
        #expect(report.total.rates.click == 0)
    }

    @Test("cohorts younger than their workflow's conversion window are maturing")
    func maturing() throws {
        let facts = FunnelFacts(
            triggers: [Self.trigger("a"), Self.trigger("b", workflow: "welcome")],
            messages: [Self.message("1", tx: "a"), Self.message("2", tx: "b", workflow: "welcome")]
        )
        let young = Self.build(facts, by: [.workflow], now: 3600)
        #expect(young.rows.map(\.maturing) == [true, false])
        let old = Self.build(facts, by: [.workflow], now: 73 * 3600)
        #expect(old.rows.map(\.maturing) == [false, false])
    }

    @Test("a trigger with no message yet counts as triggered; the days of the period are all in the series")
    func triggerWithoutMessages() throws {
        let facts = FunnelFacts(triggers: [Self.trigger("a"), Self.trigger("b")], messages: [Self.message("1", tx: "a")])
        let report = Self.build(facts, by: [.workflow, .channel])
        #expect(report.rows.map { "\($0.workflow ?? "-")/\($0.channel ?? "-")" } == ["cart/-", "cart/email"])
        #expect(report.total.counts.triggered == 2)
        #expect(report.daily.map(\.day) == ["2026-11-29", "2026-11-30", "2026-12-01"])
        #expect(report.daily.map(\.counts.triggered) == [0, 2, 0])
    }

    @Test("the JSON names every stage and writes an unavailable rate as null")
    func json() throws {
        let report = Self.build(FunnelFacts(triggers: [Self.trigger("a")]), by: [.workflow])
        let row = try #require(report.json["rows"]?.arrayValue?.first)
        #expect(row["workflow"] == .string("cart"))
        #expect(row["triggered"] == .int(1))
        #expect(row["sent"] == .int(0))
        #expect(row["rates"]?["open"] == .null)
        #expect(row["rates"]?["conversion"] == .double(0))
        #expect(report.json["by"] == .array([.string("workflow")]))
    }
}
