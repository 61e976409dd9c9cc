import Delivery
import JSON

/// Novu type × channel → Segment event name (DESIGN §4), with the mapping file's renames on top.
package struct FeedbackNames: Sendable, Equatable {
    /// `type → channel → name`; a `*` channel applies to every channel.
    package private(set) var table: [String: [String: String]]

    package static let defaultTable: [String: [String: String]] = [
        "message.sent": [
            "email": "Email Sent", "push": "Push Notification Sent", "sms": "SMS Sent",
            "in_app": "In-App Message Sent", "chat": "Chat Message Sent",
        ],
        "message.delivered": [
            "email": "Email Delivered", "push": "Push Notification Received", "sms": "SMS Delivered",
            "in_app": "In-App Message Delivered", "chat": "Chat Message Delivered",
        ],
        "message.seen": [
            "email": "Email Opened", "push": "Push Notification Tapped", "sms": "SMS Read",
            "in_app": "In-App Message Viewed", "chat": "Chat Message Read",
        ],
        "message.read": [
            "email": "Email Opened", "push": "Push Notification Tapped", "sms": "SMS Read",
            "in_app": "In-App Message Read", "chat": "Chat Message Read",
        ],
        "message.failed": [
            "email": "Email Failed", "push": "Push Notification Bounced", "sms": "SMS Failed",
            "in_app": "In-App Message Failed", "chat": "Chat Message Failed",
        ],
        // Bridge-internal: the activity poller's reading of a provider's click event (Novu sends no click
        // webhook). Only email clicks are reported by providers today.
        "message.clicked": [
            "email": "Email Link Clicked", "push": "Push Notification Tapped", "sms": "SMS Link Clicked",
            "in_app": "In-App Message Clicked", "chat": "Chat Message Link Clicked",
        ],
        "preference.updated": ["*": "Notification Preferences Updated"],
        // Bridge-internal: the funnel's own stages (DESIGN §11).
        TriggerAnnouncer.type: ["*": "Notification Triggered"],
        ConversionDestination.type: ["*": "Notification Converted"],
    ]

    /// Types the mapping file switched off (`type: false`): acknowledged, never sent.
    package private(set) var switchedOff: Set<String> = []

    package init(overrides: [String: [String: String]] = [:], switchedOff: Set<String>) {
        self.init(overrides: overrides)
        self.switchedOff = switchedOff
    }

    package init(overrides: [String: [String: String]] = [:]) {
        var table = Self.defaultTable
        for (type, channels) in overrides {
            // A rename for every channel ("*") replaces the whole row; per-channel renames replace cells.
            if channels["*"] != nil {
                table[type] = channels
            } else {
                table[type, default: [:]].merge(channels) { _, renamed in renamed }
            }
        }
        self.table = table
    }

    /// What a webhook of `type` on `channel` becomes.
    package enum Decision: Sendable, Equatable {
        case event(String)
        /// Acknowledged and ignored (`workflow.*`, `email.received`, types with no meaning in Segment).
        case ignored(reason: String)
    }

    package func decide(type: String, channel: String?) -> Decision {
        if switchedOff.contains(type) { return .ignored(reason: "switched off") }
        if let row = table[type] {
            if let name = row[channel ?? ""] ?? row["*"] { return .event(name) }
        }
        if type.hasPrefix("workflow.") || type == "email.received" { return .ignored(reason: "not a delivery event") }
        if type.hasPrefix("message.") {
            // message.unread → "Notification Unread", message.snoozed → "Notification Snoozed", and so on
            // for verbs Novu adds later: nothing is dropped silently.
            let verb = type.dropFirst("message.".count)
            let words = verb.split(whereSeparator: { $0 == "_" || $0 == "." }).map { $0.prefix(1).uppercased() + $0.dropFirst() }
            return .event((["Notification"] + words).joined(separator: " "))
        }
        return .ignored(reason: "unsupported type \(type)")
    }
}

/// A problem in the mapping file's `feedback` section.
package struct FeedbackNamesError: Error, Sendable, Equatable, CustomStringConvertible {
    package var key: String
    package var message: String
    package var description: String { "\(key): \(message)" }
}

extension FeedbackNames {
    /// Keys of the mapping file's top level that belong to Inbound.
    package static let topLevelKeys: Set<String> = ["feedback"]

    /// Reads `feedback:` — `type: {channel: name}` or `type: name` for every channel.
    package init(file: [String: JSONValue]) throws(FeedbackNamesError) {
        guard let section = file["feedback"] else {
            self.init()
            return
        }
        guard let types = section.objectValue else {
            throw FeedbackNamesError(key: "feedback", message: "expected a map of Novu type to event names")
        }
        var overrides: [String: [String: String]] = [:]
        var off: Set<String> = []
        let channels: Set<String> = ["email", "push", "sms", "in_app", "chat", "*"]
        for (type, value) in types {
            if value.boolValue == false {
                off.insert(type)
                continue
            }
            if let name = value.stringValue {
                // Segment answers 200 to an event named "" and drops it: refuse it here, as the
                // per-channel form does.
                guard !name.isEmpty else { throw FeedbackNamesError(key: "feedback.\(type)", message: "expected an event name") }
                overrides[type] = ["*": name]
                continue
            }
            guard let perChannel = value.objectValue else {
                throw FeedbackNamesError(
                    key: "feedback.\(type)",
                    message: "expected an event name, a map of channel to name, or false to switch it off"
                )
            }
            for (channel, name) in perChannel {
                guard channels.contains(channel) else {
                    throw FeedbackNamesError(key: "feedback.\(type).\(channel)", message: "unknown key")
                }
                guard let text = name.stringValue, !text.isEmpty else {
                    throw FeedbackNamesError(key: "feedback.\(type).\(channel)", message: "expected an event name")
                }
                overrides[type, default: [:]][channel] = text
            }
        }
        self.init(overrides: overrides, switchedOff: off)
    }

    /// The name of a funnel event (`notification.triggered`, `notification.converted`); `nil` when switched off.
    package func funnelEvent(_ type: String) -> String? {
        guard case .event(let name) = decide(type: type, channel: nil) else { return nil }
        return name
    }
}
