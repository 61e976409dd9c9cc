import Delivery
import Foundation

/// A Novu webhook envelope: `{"id","type","object","timestamp","environmentId","data":{"object":…,"error"?:…}}`.
public struct NovuWebhook: Sendable, Equatable {
    public var id: String?
    /// `message.delivered`, `preference.updated`, `workflow.updated`, …
    public var type: String
    public var timestamp: String?
    public var environmentId: String?
    /// `data.object`: the message (or preference, workflow, …).
    public var object: [String: JSONValue]
    /// `data`, for fields beside the object (`error`, `subscriberId`).
    public var data: [String: JSONValue]

    /// Reads an envelope; `nil` when the JSON is not one (no `type`).
    public init?(json: JSONValue) {
        guard let type = json["type"]?.stringValue, !type.isEmpty else { return nil }
        self.type = type
        id = json["id"]?.stringValue
        timestamp = json["timestamp"]?.stringValue
        environmentId = json["environmentId"]?.stringValue
        data = json["data"]?.objectValue ?? [:]
        object = data["object"]?.objectValue ?? [:]
    }

    /// A message field as text.
    public func message(_ key: String) -> String? {
        guard let value = object[key]?.scalarText, !value.isEmpty else { return nil }
        return value
    }

    /// The subscriber: on the message, inside its `subscriber` object (older Novu builds send only that),
    /// or beside it (preference events). Never `_subscriberId`: that is Novu's internal id, not the
    /// `subscriberId` the bridge triggered with, which is the Segment `userId`.
    public var subscriberId: String? {
        func text(_ value: JSONValue?) -> String? { value?.scalarText.flatMap { $0.isEmpty ? nil : $0 } }
        return message("subscriberId") ?? text(object["subscriber"]?["subscriberId"]) ?? text(data["subscriberId"])
    }

    public var workflowId: String? { message("workflowId") ?? message("templateIdentifier") }
    public var channel: String? { message("channel")?.lowercased() }
}
