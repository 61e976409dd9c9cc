import Delivery
import Foundation
import JSON

/// A Novu webhook envelope: `{"id","type","object","timestamp","environmentId","data":{"object":…,"error"?:…}}`.
package struct NovuWebhook: Sendable, Equatable {
    package var id: String?
    /// `message.delivered`, `preference.updated`, `workflow.updated`, …
    package var type: String
    package var timestamp: String?
    package var environmentId: String?
    /// `data.object`: the message (or preference, workflow, …).
    package var object: [String: JSONValue]
    /// `data`, for fields beside the object (`error`, `subscriberId`).
    package var data: [String: JSONValue]

    /// Reads an envelope; `nil` when the JSON is not one (no `type`).
    package init?(json: JSONValue) {
        guard let type = json["type"]?.stringValue, !type.isEmpty else { return nil }
        self.type = type
        id = json["id"]?.stringValue
        timestamp = json["timestamp"]?.stringValue
        environmentId = json["environmentId"]?.stringValue
        data = json["data"]?.objectValue ?? [:]
        object = data["object"]?.objectValue ?? [:]
    }

    /// A message field as text.
    package func message(_ key: String) -> String? {
        guard let value = object[key]?.scalarText, !value.isEmpty else { return nil }
        return value
    }

    /// The subscriber: on the message, inside its `subscriber` object (older Novu builds send only that),
    /// or beside it (preference events). Never `_subscriberId`: that is Novu's internal id, not the
    /// `subscriberId` the bridge triggered with, which is the Segment `userId`.
    package var subscriberId: String? {
        func text(_ value: JSONValue?) -> String? { value?.scalarText.flatMap { $0.isEmpty ? nil : $0 } }
        return message("subscriberId") ?? text(object["subscriber"]?["subscriberId"]) ?? text(data["subscriberId"])
    }

    package var workflowId: String? { message("workflowId") ?? message("templateIdentifier") }
    package var channel: String? { message("channel")?.lowercased() }
}
