import Delivery
import Foundation
import Inbound
import JSON
import MappingFiles
import Outbound

// The mapping file (YAML or JSON): it either loads or names a problem; a file that loads maps events.

private let events: [SegmentEvent] = [
    SegmentEvent(json: [
        "type": "track", "event": "Order Completed", "messageId": "m1", "userId": "u1",
        "properties": ["environment": "development", "name": "w", "user": ["subscriberId": "u1"]],
        "context": ["traits": ["email": "a@example.com"]],
    ]),
    SegmentEvent(json: ["type": "page", "name": "Home", "messageId": "m2", "anonymousId": "a2"]),
    SegmentEvent(json: ["type": "screen", "messageId": "m3", "userId": "u3"]),
]

extension FuzzChecks {
    /// The `FuzzMappingFile` target's check of one input; crashes on a broken property.
    public static func mappingFile(_ input: [UInt8]) {
        let file = String(decoding: input, as: UTF8.self)
        guard let file = try? MappingFile.parse(file, path: "fuzz.yaml") else { return }
        let mapper = SegmentMapper(rules: file.rules)
        for event in events {
            if case .send(let call, _, _) = mapper.map(event), let body = call.body { _ = body.encodedBytes() }
        }
        for type in ["message.delivered", "message.failed", "preference.updated", "other"] {
            _ = file.feedback.decide(type: type, channel: "email")
        }
    }
}
