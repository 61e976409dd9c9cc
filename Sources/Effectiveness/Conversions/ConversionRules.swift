import Delivery
import Foundation
import JSON

/// One entry of the mapping file's `conversions:` list (DESIGN §11).
package struct ConversionRule: Sendable, Equatable {
    /// A Novu workflow id, or `*` for every workflow.
    package var workflow: String
    /// The Segment event name that counts as the goal.
    package var goal: String
    /// Equality filter on the goal's properties.
    package var filter: [String: JSONValue]
    /// How long after delivery (or sending) a goal still counts.
    package var window: TimeInterval
    /// A numeric property of the goal reported as `value` and `revenue`.
    package var value: String?

    package static let defaultWindow: TimeInterval = 72 * 3600
    package static let windowRange: ClosedRange<TimeInterval> = 3600...(90 * 86400)

    package init(
        workflow: String,
        goal: String,
        filter: [String: JSONValue] = [:],
        window: TimeInterval = defaultWindow,
        value: String? = nil
    ) {
        self.workflow = workflow
        self.goal = goal
        self.filter = filter
        self.window = window
        self.value = value
    }

    package func matches(workflow candidate: String) -> Bool { workflow == "*" || workflow == candidate }

    /// The goal's properties hold every `where` pair (a number matches its text, as YAML writes `42` or "42").
    package func admits(properties: [String: JSONValue]) -> Bool {
        filter.allSatisfy { key, wanted in
            guard let actual = properties[key] else { return false }
            return actual == wanted || (actual.scalarText != nil && actual.scalarText == wanted.scalarText)
        }
    }
}

/// The `conversions:` section: which Segment events are goals, and for which workflows.
package struct ConversionRules: Sendable, Equatable {
    package var rules: [ConversionRule]

    package init(_ rules: [ConversionRule] = []) { self.rules = rules }

    /// The goal event names, for the segment port: only these are handed to attribution.
    package var goals: Set<String> { Set(rules.map(\.goal)) }

    /// The longest window: how far back attribution looks, and how long the link to a cause is kept.
    package var longestWindow: TimeInterval { rules.map(\.window).max() ?? 0 }

    /// The window a workflow's cohorts mature over (the longest of the rules that count for it).
    package func window(workflow: String) -> TimeInterval? {
        rules.filter { $0.matches(workflow: workflow) }.map(\.window).max()
    }

    /// Keys of the mapping file's top level this reads.
    package static let topLevelKeys: Set<String> = ["conversions"]

    static let ruleKeys: Set<String> = ["workflow", "goal", "where", "window", "value"]

    /// Reads `conversions:`; a problem names its key (`conversions[0].window`).
    package init(file: [String: JSONValue]) throws(ConversionRulesError) {
        guard let section = file["conversions"], !section.isNull else {
            self.init()
            return
        }
        guard let entries = section.arrayValue else {
            throw ConversionRulesError(key: "conversions", message: "expected a list of {workflow, goal, where, window, value}")
        }
        var rules: [ConversionRule] = []
        for (index, entry) in entries.enumerated() {
            let key = "conversions[\(index)]"
            guard let fields = entry.objectValue else { throw ConversionRulesError(key: key, message: "expected a map") }
            if let unknown = fields.keys.sorted().first(where: { !Self.ruleKeys.contains($0) }) {
                throw ConversionRulesError(key: "\(key).\(unknown)", message: "unknown key")
            }
            guard let workflow = fields["workflow"]?.stringValue, !workflow.isEmpty else {
                throw ConversionRulesError(key: "\(key).workflow", message: "expected a Novu workflow id, or \"*\"")
            }
            guard let goal = fields["goal"]?.stringValue, !goal.isEmpty else {
                throw ConversionRulesError(key: "\(key).goal", message: "expected the Segment event name of the goal")
            }
            var rule = ConversionRule(workflow: workflow, goal: goal)
            if let filter = fields["where"], !filter.isNull {
                guard let pairs = filter.objectValue, pairs.values.allSatisfy({ $0.scalarText != nil || $0.boolValue != nil }) else {
                    throw ConversionRulesError(key: "\(key).where", message: "expected a map of property to a string, number or boolean")
                }
                rule.filter = pairs
            }
            if let window = fields["window"], !window.isNull {
                guard let text = window.scalarText, let duration = DurationText.parse(text),
                    Self.windowRangeHolds(duration.timeInterval)
                else {
                    throw ConversionRulesError(key: "\(key).window", message: "expected a duration from 1h to 90d, such as 72h or 30d")
                }
                rule.window = duration.timeInterval
            }
            if let value = fields["value"], !value.isNull {
                guard let name = value.stringValue, !name.isEmpty else {
                    throw ConversionRulesError(key: "\(key).value", message: "expected the name of a numeric property of the goal")
                }
                rule.value = name
            }
            rules.append(rule)
        }
        self.init(rules)
    }

    static func windowRangeHolds(_ seconds: TimeInterval) -> Bool { ConversionRule.windowRange.contains(seconds) }
}

/// A problem in the mapping file's `conversions` section.
package struct ConversionRulesError: Error, Sendable, Equatable, CustomStringConvertible {
    package var key: String
    package var message: String
    package var description: String { "\(key): \(message)" }
}
