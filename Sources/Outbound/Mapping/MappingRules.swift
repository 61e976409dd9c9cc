import Delivery
import JSON

/// The Segment → Novu part of the mapping file (`BRIDGE_MAPPING_FILE`): named rules, and what to do
/// with a `track` no rule matches.
package struct MappingRules: Sendable, Equatable {
    /// What a `track` without a rule becomes.
    package enum Fallback: String, Sendable {
        /// The destination-function convention (`SeedConvention`).
        case seed
        /// Accepted and ignored, for sources that send many unrelated tracks.
        case ignore
    }

    /// One rule: a Segment event → a Novu workflow.
    package struct Rule: Sendable, Equatable {
        /// `track` (default), `page`, `screen` or `alias`.
        package var type: String = "track"
        /// The track event name (or page/screen `name`); `nil` matches every event of the type.
        package var event: String?
        /// The Novu workflow id.
        package var workflow: String
        /// `userId` (default) or `anonymousId`: where the subscriber id comes from.
        package var subscriber: String = "userId"
        /// With `subscriber: userId`, fall back to `anonymousId` when there is no userId.
        package var allowAnonymous: Bool = false
        /// Which properties form the payload; `nil` for all.
        package var payload: [String]?
        /// Novu subscriber fields (`email`, `firstName`, …) → the trait that fills them.
        package var to: [String: String] = [:]
        /// Novu tenant identifier.
        package var tenant: String?
        /// Novu trigger `overrides`, passed through.
        package var overrides: JSONValue?
        /// Novu trigger `context` (at most 5 keys): literal ids or event paths.
        package var context = TriggerContext()
        /// Only events whose `properties.environment` equals this are sent.
        package var environment: String?

        package init(type: String = "track", event: String? = nil, workflow: String) {
            self.type = type
            self.event = event
            self.workflow = workflow
        }
    }

    package var fallback: Fallback = .seed
    package var rules: [Rule] = []

    package init(fallback: Fallback = .seed, rules: [Rule] = []) {
        self.fallback = fallback
        self.rules = rules
    }

    /// The first rule for an event of `type` named `name`.
    package func rule(type: String, name: String?) -> Rule? {
        rules.first { $0.type == type && ($0.event == nil || $0.event == name) }
    }
}

/// A problem in the mapping file, with the key path it concerns (`rules[2].workflw`).
package struct MappingFileError: Error, Sendable, Equatable, CustomStringConvertible {
    package var key: String
    package var message: String

    package init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    package var description: String { "\(key): \(message)" }
}

extension MappingRules {
    /// Keys of the file's top level that belong to Outbound.
    package static let topLevelKeys: Set<String> = ["fallback", "rules"]
    static let ruleKeys: Set<String> = [
        "type", "event", "workflow", "subscriber", "allowAnonymous", "payload", "to", "tenant", "overrides", "environment",
        "context",
    ]

    /// Reads Outbound's keys of a parsed mapping file. Keys of other sections are left to their owners;
    /// unknown keys inside a rule are errors naming the key.
    package init(file: [String: JSONValue]) throws(MappingFileError) {
        if let fallback = file["fallback"] {
            guard let text = fallback.stringValue, let value = Fallback(rawValue: text) else {
                throw MappingFileError(key: "fallback", message: "expected 'seed' or 'ignore'")
            }
            self.fallback = value
        }
        guard let list = file["rules"] else { return }
        guard let items = list.arrayValue else { throw MappingFileError(key: "rules", message: "expected a list of rules") }
        for (index, item) in items.enumerated() {
            rules.append(try Self.rule(item, path: "rules[\(index)]"))
        }
    }

    private static func rule(_ item: JSONValue, path: String) throws(MappingFileError) -> Rule {
        guard let fields = item.objectValue else { throw MappingFileError(key: path, message: "expected a rule object") }
        if let unknown = fields.keys.sorted().first(where: { !ruleKeys.contains($0) }) {
            throw MappingFileError(key: "\(path).\(unknown)", message: "unknown key")
        }
        func string(_ key: String) throws(MappingFileError) -> String? {
            guard let value = fields[key] else { return nil }
            guard let text = value.scalarText, !text.isEmpty else {
                throw MappingFileError(key: "\(path).\(key)", message: "expected a non-empty string")
            }
            return text
        }
        guard let workflow = try string("workflow") else {
            throw MappingFileError(key: "\(path).workflow", message: "is required")
        }
        var rule = Rule(workflow: workflow)
        if let type = try string("type") {
            guard ["track", "page", "screen", "alias"].contains(type) else {
                throw MappingFileError(key: "\(path).type", message: "expected track, page, screen or alias")
            }
            rule.type = type
        }
        rule.event = try string("event")
        if let subscriber = try string("subscriber") {
            guard ["userId", "anonymousId"].contains(subscriber) else {
                throw MappingFileError(key: "\(path).subscriber", message: "expected userId or anonymousId")
            }
            rule.subscriber = subscriber
        }
        if let allow = fields["allowAnonymous"] {
            guard let flag = allow.boolValue else {
                throw MappingFileError(key: "\(path).allowAnonymous", message: "expected true or false")
            }
            rule.allowAnonymous = flag
        }
        if let payload = fields["payload"] {
            guard let names = payload.arrayValue?.compactMap(\.stringValue), names.count == payload.arrayValue?.count else {
                throw MappingFileError(key: "\(path).payload", message: "expected a list of property names")
            }
            rule.payload = names
        }
        if let to = fields["to"] {
            guard let map = to.objectValue else {
                throw MappingFileError(key: "\(path).to", message: "expected a map of Novu field to trait name")
            }
            let allowed: Set<String> = ["email", "firstName", "lastName", "phone", "avatar", "locale", "timezone"]
            for (field, trait) in map {
                guard allowed.contains(field) else {
                    throw MappingFileError(key: "\(path).to.\(field)", message: "unknown key")
                }
                guard let name = trait.stringValue else {
                    throw MappingFileError(key: "\(path).to.\(field)", message: "expected a trait name")
                }
                rule.to[field] = name
            }
        }
        rule.tenant = try string("tenant")
        if let overrides = fields["overrides"] {
            guard overrides.objectValue != nil else {
                throw MappingFileError(key: "\(path).overrides", message: "expected an object")
            }
            rule.overrides = overrides
        }
        rule.environment = try string("environment")
        if let context = fields["context"] { rule.context = try TriggerContext(file: context, path: "\(path).context") }
        return rule
    }
}
