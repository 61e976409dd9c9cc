import Crypto
import Delivery
import Foundation
import JSON

/// A Segment event that may be a conversion goal, as attribution reads it.
package struct Goal: Sendable, Equatable {
    package var userId: String
    package var event: String
    package var messageId: String
    package var timestamp: Date
    package var properties: [String: JSONValue]
    /// The transaction the goal names: `properties.transaction_id`, or `context.campaign` (`name` or `id`).
    package var transactionIds: [String]

    package init(
        userId: String,
        event: String,
        messageId: String,
        timestamp: Date,
        properties: [String: JSONValue] = [:],
        transactionIds: [String] = []
    ) {
        self.userId = userId
        self.event = event
        self.messageId = messageId
        self.timestamp = timestamp
        self.properties = properties
        self.transactionIds = transactionIds
    }

    /// The `destination` of goal jobs: the relay hands them to attribution.
    package static let destination = "conversion"

    /// The job the segment port queues for a goal event: the event as received, once per message id.
    package static func job(event: JSONValue, userId: String, messageId: String) -> NewJob {
        NewJob(
            destination: destination,
            orderingKey: userId,
            kind: "goal",
            payload: event.encoded(),
            dedupeKeys: ["conversion-goal:" + messageId]
        )
    }

    /// Reads a Segment track event; `nil` without a user, an event name or a message id. `receivedAt`
    /// stands in for a missing or unreadable `timestamp`.
    package init?(event json: JSONValue, receivedAt: Date) {
        guard let userId = json["userId"]?.scalarText, !userId.isEmpty, let event = json["event"]?.stringValue,
            let messageId = json["messageId"]?.scalarText
        else { return nil }
        let properties = json["properties"]?.objectValue ?? [:]
        let campaign = json["context"]?["campaign"]
        let named = [properties["transaction_id"]?.scalarText, campaign?["name"]?.scalarText, campaign?["id"]?.scalarText]
        let timestamp = json["timestamp"]?.stringValue.flatMap(Timestamp.parse) ?? receivedAt
        self.init(
            userId: userId,
            event: event,
            messageId: messageId,
            timestamp: timestamp,
            properties: properties,
            transactionIds: named.compactMap { $0 }.filter { !$0.isEmpty }
        )
    }
}

/// A conversion attribution decided: the goal, the notification it credits and how.
package struct Conversion: Sendable, Equatable {
    package enum Attribution: String, Sendable {
        case explicit
        case lastTouch = "last_touch"
    }
    package enum Touch: String, Sendable { case clicked, opened, delivered, sent }

    package var goal: Goal
    package var rule: ConversionRule
    package var message: FunnelMessage
    package var trigger: FunnelTrigger?
    package var attribution: Attribution
    package var touch: Touch
    package var value: Double?
    package var currency: String?

    /// `direct` when the credited notification was opened or clicked before the goal, else `influenced`.
    package var attributionType: String { touch == .clicked || touch == .opened ? "direct" : "influenced" }

    package var timeToConvert: TimeInterval { max(0, goal.timestamp.timeIntervalSince(message.windowStart ?? message.firstSeenAt)) }

    /// `novu-conv-<hash of transaction and goal>`: one per (transaction, goal), whatever computes it again.
    package var messageId: String { Self.messageId(transactionId: message.transactionId, goal: rule.goal) }

    package static func messageId(transactionId: String, goal: String) -> String {
        let digest = SHA256.hash(data: Data("\(transactionId)\n\(goal)".utf8)).map { String(format: "%02x", $0) }.joined()
        return "novu-conv-" + digest.prefix(40)
    }

    /// What the funnel records.
    package var record: FunnelConversion {
        FunnelConversion(
            transactionId: message.transactionId,
            goal: rule.goal,
            messageId: message.messageId,
            workflow: trigger?.workflow ?? message.workflow,
            convertedAt: goal.timestamp,
            value: value
        )
    }
}

/// Which notification a goal credits (DESIGN §11). Pure: the converter reads the candidates, this decides.
package enum Attribution {
    /// The conversions `goal` makes under `rules`, at most one per (transaction, goal); `messages` are the
    /// user's recent messages, `triggers` their transactions' triggers.
    package static func conversions(
        for goal: Goal,
        rules: ConversionRules,
        messages: [FunnelMessage],
        triggers: [String: FunnelTrigger]
    ) -> [Conversion] {
        var made: [Conversion] = []
        var credited = Set<String>()
        for rule in rules.rules where rule.goal == goal.event && rule.admits(properties: goal.properties) {
            let candidates = messages.filter { message in
                guard message.userId == goal.userId, let start = message.windowStart,
                    rule.matches(workflow: triggers[message.transactionId]?.workflow ?? message.workflow)
                else { return false }
                return start <= goal.timestamp && goal.timestamp <= start.addingTimeInterval(rule.window)
            }
            let named = candidates.filter { goal.transactionIds.contains($0.transactionId) }
            let attribution: Conversion.Attribution = named.isEmpty ? .lastTouch : .explicit
            let pool = named.isEmpty ? candidates : named
            guard let message = pool.max(by: { rank($0, goal) < rank($1, goal) }) else { continue }
            guard credited.insert(message.transactionId).inserted else { continue }
            let value = rule.value.flatMap { goal.properties[$0] }.flatMap(number)
            made.append(
                Conversion(
                    goal: goal,
                    rule: rule,
                    message: message,
                    trigger: triggers[message.transactionId],
                    attribution: attribution,
                    touch: touch(message, before: goal.timestamp),
                    value: value,
                    currency: rule.value == nil ? nil : goal.properties["currency"]?.stringValue
                )
            )
        }
        return made
    }

    /// The most recent notification first; among one's messages, the strongest touch.
    static func rank(_ message: FunnelMessage, _ goal: Goal) -> (Date, Int) {
        let strength: Int
        switch touch(message, before: goal.timestamp) {
        case .clicked: strength = 3
        case .opened: strength = 2
        case .delivered: strength = 1
        case .sent: strength = 0
        }
        return (message.windowStart ?? message.firstSeenAt, strength)
    }

    static func touch(_ message: FunnelMessage, before: Date) -> Conversion.Touch {
        if let clicked = message.clickedAt, clicked <= before { return .clicked }
        if let opened = message.openedAt, opened <= before { return .opened }
        if message.deliveredAt != nil { return .delivered }
        return .sent
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        case .string(let text): Double(text)
        default: nil
        }
    }
}
