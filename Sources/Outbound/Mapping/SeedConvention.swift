import Delivery
import JSON

/// The published Segment→Novu destination function's convention, the fallback for every `track` no
/// rule matches: `properties.name` is the workflow, `properties.user` the recipient.
package enum SeedConvention {
    /// The error messages are the function's, so a source moved from it behaves the same.
    package static let missingEnvironment = "environment property is required"
    package static let missingWorkflow = "workflow name property is required"

    /// Maps a `track` event. `transactionId` is the event's `seg-…` id.
    package static func map(_ event: SegmentEvent, environment: String, transactionId: String) -> MappingDecision {
        let properties = event.properties
        guard let eventEnvironment = nonEmpty(properties["environment"]?.scalarText) else {
            return .invalid(missingEnvironment)
        }
        guard let workflow = nonEmpty(properties["name"]?.scalarText) else { return .invalid(missingWorkflow) }
        guard eventEnvironment == environment else { return .ignored(reason: "environment") }

        let user = properties["user"]?.objectValue ?? [:]
        // The function sends whatever `user.subscriberId` holds; a trigger with no recipient can only fail
        // at Novu, so the event's userId stands in, and with neither the event is refused here.
        guard let subscriberId = nonEmpty(user["subscriberId"]?.scalarText) ?? event.userId else {
            return .invalid("properties.user.subscriberId (or userId) is required")
        }
        var to: [String: JSONValue] = ["subscriberId": .string(subscriberId)]
        for field in ["firstName", "lastName", "email", "phone"] {
            if let value = nonEmpty(user[field]?.scalarText) { to[field] = .string(value) }
        }
        let body: JSONValue = [
            "name": .string(workflow),
            "to": .object(to),
            "payload": ["eventProperties": .object(properties)],
            "transactionId": .string(transactionId),
        ]
        let call = NovuCall(
            operation: .trigger,
            method: "POST",
            path: "/v1/events/trigger",
            body: body,
            transactionId: transactionId
        )
        return .send(
            call,
            orderingKey: subscriberId,
            correlation: Correlation(
                transactionId: transactionId,
                eventName: event.event ?? "",
                messageId: event.messageId ?? "",
                userId: subscriberId,
                workflow: workflow
            )
        )
    }
}

func nonEmpty(_ value: String?) -> String? {
    guard let value, !value.isEmpty else { return nil }
    return value
}
