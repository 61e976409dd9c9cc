import Delivery
import Effectiveness
import Foundation

/// A realistic fortnight for the dashboard: five workflows, email, push, SMS and in-app, weekday rhythm,
/// failures, and conversions still maturing at the end. Deterministic (a seeded generator), built through
/// the real `FunnelReport.build`.
enum SampleFunnel {
    /// 2026-12-06T15:20:00Z.
    static let now = Date(timeIntervalSince1970: 1_796_570_400)
    static let days = 14

    struct Workflow {
        var name: String
        var channels: [String]
        var perDay: Int
        var window: TimeInterval?
        var conversion: Double
    }

    static let workflows = [
        Workflow(name: "order-shipped", channels: ["email", "push", "sms"], perDay: 240, window: nil, conversion: 0),
        Workflow(name: "cart-abandoned", channels: ["email", "push", "sms"], perDay: 170, window: 72 * 3600, conversion: 0.09),
        Workflow(name: "welcome-series", channels: ["email", "in_app"], perDay: 85, window: 7 * 86400, conversion: 0.24),
        Workflow(name: "weekly-digest", channels: ["email"], perDay: 0, window: nil, conversion: 0),
        Workflow(name: "password-reset", channels: ["email", "sms"], perDay: 30, window: nil, conversion: 0),
    ]

    /// The report the dashboard shows for the sample, grouped as the page reads best.
    static func report(by: [FunnelDimension] = Dashboard.dimensions, extraWorkflow: String? = nil) -> FunnelReport {
        var facts = facts()
        if let extraWorkflow {
            let at = now.addingTimeInterval(-3 * 86400)
            facts.triggers.append(
                FunnelTrigger(
                    transactionId: "tx-extra",
                    userId: "u-extra",
                    workflow: extraWorkflow,
                    triggerEvent: "Extra",
                    triggerMessageId: "m-extra",
                    triggeredAt: at
                )
            )
            facts.messages.append(
                FunnelMessage(
                    messageId: "msg-extra",
                    transactionId: "tx-extra",
                    userId: "u-extra",
                    workflow: extraWorkflow,
                    channel: "email",
                    firstSeenAt: at,
                    sentAt: at,
                    deliveredAt: at.addingTimeInterval(4)
                )
            )
        }
        let windows = Dictionary(uniqueKeysWithValues: workflows.map { ($0.name, $0.window) })
        return FunnelReport.build(
            facts,
            from: now.addingTimeInterval(-Double(days) * 86400),
            to: now,
            by: by,
            now: now,
            window: { windows[$0] ?? nil }
        )
    }

    static func facts() -> FunnelFacts {
        var random = SplitMix64(seed: 2026)
        var facts = FunnelFacts()
        let start = now.addingTimeInterval(-Double(days) * 86400)
        for dayIndex in 0...days {
            let dayStart = start.addingTimeInterval(Double(dayIndex) * 86400)
            let weekday = Calendar(identifier: .gregorian).component(.weekday, from: dayStart)
            let weekend = weekday == 1 || weekday == 7
            for workflow in workflows {
                var count = Double(workflow.perDay) * (weekend ? 0.62 : 1) * (0.9 + 0.2 * random.unit) * (1 + Double(dayIndex) * 0.012)
                // The digest goes out on Tuesdays, to everyone at once.
                if workflow.name == "weekly-digest" { count = weekday == 3 ? 1150 : 0 }
                for number in 0..<Int(count) {
                    let at = dayStart.addingTimeInterval(random.unit * 86400)
                    guard at < now, at >= start else { continue }
                    let tx = "tx-\(workflow.name)-\(dayIndex)-\(number)"
                    facts.triggers.append(
                        FunnelTrigger(
                            transactionId: tx,
                            userId: "u-\(number)",
                            workflow: workflow.name,
                            triggerEvent: workflow.name,
                            triggerMessageId: "m-\(tx)",
                            triggeredAt: at
                        )
                    )
                    var messages: [FunnelMessage] = []
                    for channel in workflow.channels {
                        // SMS only for users who gave a number; a few triggers have not reached Novu's steps yet.
                        if channel == "sms", random.unit > 0.35 { continue }
                        if now.timeIntervalSince(at) < 600, random.unit < 0.5 { continue }
                        messages.append(message(tx: tx, workflow: workflow.name, channel: channel, at: at, random: &random))
                    }
                    if workflow.window != nil, random.unit < workflow.conversion,
                        let index = messages.firstIndex(where: { $0.deliveredAt != nil })
                    {
                        let convertedAt = (messages[index].deliveredAt ?? at).addingTimeInterval(600 + random.unit * random.unit * 160_000)
                        if convertedAt < now { messages[index].convertedAt = convertedAt }
                    }
                    facts.messages += messages
                }
            }
        }
        return facts
    }

    static let failures: [String: [String]] = [
        "email": ["mailbox does not exist", "mailbox does not exist", "spam complaint", "rejected by provider"],
        "push": ["device token unregistered", "device token unregistered", "push payload too large"],
        "sms": ["invalid phone number", "carrier rejected", "invalid phone number"],
        "in_app": ["subscriber not found"],
    ]

    static func message(tx: String, workflow: String, channel: String, at: Date, random: inout SplitMix64) -> FunnelMessage {
        let profile: (deliver: Double, open: Double, click: Double) =
            switch channel {
            case "email": (0.965, 0.41, 0.21)
            case "push": (0.9, 0.11, 0.55)
            case "sms": (0.955, 0, 0.07)
            default: (0.995, 0.58, 0.19)
            }
        let sent = at.addingTimeInterval(2 + random.unit * 20)
        var message = FunnelMessage(
            messageId: "msg-\(tx)-\(channel)",
            transactionId: tx,
            userId: "u",
            workflow: workflow,
            channel: channel,
            provider: ["email": "sendgrid", "push": "fcm", "sms": "twilio"][channel],
            firstSeenAt: sent,
            sentAt: sent
        )
        guard random.unit < profile.deliver else {
            let reasons = failures[channel] ?? ["unknown"]
            message.failedAt = sent.addingTimeInterval(3)
            message.failure = reasons[Int(random.unit * Double(reasons.count)) % reasons.count]
            return message
        }
        let delivered = sent.addingTimeInterval(1 + random.unit * 30)
        message.deliveredAt = delivered
        let opened = delivered.addingTimeInterval(30 + random.unit * random.unit * 40_000)
        if profile.open > 0, random.unit < profile.open, opened < now {
            message.openedAt = opened
            if random.unit < profile.click { message.clickedAt = opened.addingTimeInterval(5 + random.unit * 120) }
        } else if profile.open == 0, random.unit < profile.click, opened < now {
            message.clickedAt = opened
        }
        return message
    }
}

/// A small seeded generator (SplitMix64): the sample is the same on every machine.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<1`.
    var unit: Double {
        mutating get { Double(next() >> 11) / Double(1 << 53) }
    }
}
