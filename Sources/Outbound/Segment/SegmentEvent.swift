import Delivery
import Foundation
import JSON

/// One Segment event as received: the JSON object, with accessors for the spec fields the bridge uses.
/// Unknown fields are kept, so the event stored for the dead-letter queue is the event as sent.
package struct SegmentEvent: Sendable, Equatable {
    /// The event object.
    package var json: [String: JSONValue]

    package init(json: [String: JSONValue]) {
        self.json = json
    }

    /// `track`, `identify`, `group`, `alias`, `page`, `screen`, `delete`.
    package var type: String? {
        guard let type = json["type"]?.stringValue else { return nil }
        // Read several times per event; nearly always lowercase already.
        return type.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) ? type.lowercased() : type
    }
    package var messageId: String? { nonEmpty(json["messageId"]?.scalarText) }
    package var userId: String? { nonEmpty(json["userId"]?.scalarText) }
    package var anonymousId: String? { nonEmpty(json["anonymousId"]?.scalarText) }
    /// The track event's name.
    package var event: String? { nonEmpty(json["event"]?.stringValue) }
    package var groupId: String? { nonEmpty(json["groupId"]?.scalarText) }
    package var properties: [String: JSONValue] { json["properties"]?.objectValue ?? [:] }
    /// `traits` of identify/group, else `context.traits`.
    package var traits: [String: JSONValue] {
        json["traits"]?.objectValue ?? context["traits"]?.objectValue ?? [:]
    }
    /// `context`; Segment sends `null` on some events (deletes).
    package var context: [String: JSONValue] { json["context"]?.objectValue ?? [:] }
    /// `context.library.name`: who produced the event.
    package var libraryName: String? { context["library"]?["name"]?.stringValue }

    /// The event as compact JSON.
    package var encoded: Data { JSONValue.object(json).encoded() }

    private func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
