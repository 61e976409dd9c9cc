import Crypto
import Delivery
import Foundation
import JSON

/// The track events of the funnel's own stages (DESIGN §11): `Notification Triggered` and
/// `Notification Converted`. Pure: the announcer and the converter queue what these build.
package enum EffectivenessEvent {
    /// `novu-trig-<transactionId>`, hashed when over Segment's 100 characters.
    package static func triggeredMessageId(transactionId: String) -> String {
        let id = "novu-trig-" + transactionId
        guard id.utf8.count > 100 else { return id }
        return "novu-trig-" + SHA256.hash(data: Data(transactionId.utf8)).map { String(format: "%02x", $0) }.joined().prefix(64)
    }

    package static func triggered(_ trigger: FunnelTrigger, name: String, library: JSONValue) -> (event: JSONValue, messageId: String) {
        var properties: [String: JSONValue] = [
            "workflow_id": .string(trigger.workflow),
            "transaction_id": .string(trigger.transactionId),
            "trigger_message_id": .string(trigger.triggerMessageId),
        ]
        if !trigger.triggerEvent.isEmpty { properties["trigger_event"] = .string(trigger.triggerEvent) }
        if let context = trigger.context { properties["context"] = .object(context) }
        let messageId = triggeredMessageId(transactionId: trigger.transactionId)
        return (
            track(
                name: name,
                userId: trigger.userId,
                messageId: messageId,
                at: trigger.triggeredAt,
                properties: properties,
                library: library
            ), messageId
        )
    }

    package static func converted(_ conversion: Conversion, name: String, library: JSONValue) -> (event: JSONValue, messageId: String) {
        let message = conversion.message
        var properties: [String: JSONValue] = [
            "workflow_id": .string(conversion.trigger?.workflow ?? message.workflow),
            "channel": .string(message.channel),
            "novu_message_id": .string(message.messageId),
            "transaction_id": .string(message.transactionId),
            "conversion_event": .string(conversion.goal.event),
            "conversion_message_id": .string(conversion.goal.messageId),
            "attribution": .string(conversion.attribution.rawValue),
            "attribution_type": .string(conversion.attributionType),
            "touch": .string(conversion.touch.rawValue),
            "window_seconds": .int(Int64(conversion.rule.window)),
            "time_to_convert_seconds": .int(Int64(conversion.timeToConvert.rounded())),
        ]
        if let provider = message.provider { properties["provider_id"] = .string(provider) }
        if let trigger = conversion.trigger {
            if !trigger.triggerEvent.isEmpty { properties["trigger_event"] = .string(trigger.triggerEvent) }
            properties["trigger_message_id"] = .string(trigger.triggerMessageId)
        }
        if let value = conversion.value {
            properties["value"] = .double(value)
            properties["revenue"] = .double(value)
        }
        if let currency = conversion.currency { properties["currency"] = .string(currency) }
        let messageId = conversion.messageId
        return (
            track(
                name: name,
                userId: conversion.goal.userId,
                messageId: messageId,
                at: conversion.goal.timestamp,
                properties: properties,
                library: library
            ),
            messageId
        )
    }

    static func track(
        name: String,
        userId: String,
        messageId: String,
        at: Date,
        properties: [String: JSONValue],
        library: JSONValue
    ) -> JSONValue {
        .object([
            "type": "track",
            "event": .string(name),
            "userId": .string(userId),
            "messageId": .string(messageId),
            "timestamp": .string(Timestamp.format(at)),
            "properties": .object(properties),
            "context": ["library": library, "integration": library],
        ])
    }
}
