import Foundation
import JSON

extension Correlation {
    /// What a feedback event tells of its cause, under its `properties`: the Segment event that triggered
    /// the notification (`trigger_event`, when it had a name; `trigger_message_id`) and the Novu `context`
    /// the trigger carried, so Segment can link and segment by them. One definition for every path that
    /// links an event to its cause: the novu port's (in the store, see `NewJob.cause`) and the poller's.
    package var eventProperties: [String: JSONValue] {
        var properties: [String: JSONValue] = ["trigger_message_id": .string(messageId)]
        if !eventName.isEmpty { properties["trigger_event"] = .string(eventName) }
        if let context { properties["context"] = .object(context) }
        return properties
    }

    /// `event`, a Segment event's JSON, with `eventProperties` joined into its `properties`; unchanged
    /// when it is not an object.
    package func linking(_ event: Data) -> Data {
        guard case .object(var fields)? = try? JSONValue.parse(event) else { return event }
        var properties = fields["properties"]?.objectValue ?? [:]
        properties.merge(eventProperties) { _, cause in cause }
        fields["properties"] = .object(properties)
        return JSONValue.object(fields).encoded()
    }
}
