import Delivery
import Effectiveness
import Foundation
import JSON
import Logging

/// How the segment port judges each item of a request.
extension SegmentIngest {
    /// What becomes of one item of a request.
    enum ItemVerdict {
        case rejected(String, type: String)
        case ignored(String, type: String)
        case queued(NewJob, type: String)
    }

    /// Judges one item: refused for its route, ignored (loop guard, mapping), refused as invalid or too
    /// large for Novu, or the job to queue. `raw` is the item's bytes as sent, kept with its job unless
    /// the item is changed on the way.
    func judge(
        _ item: JSONValue,
        raw: ArraySlice<UInt8>?,
        route: Route,
        single: Bool,
        tally: inout Tally
    ) -> (verdict: ItemVerdict, goal: NewJob?) {
        var goal: NewJob?
        let verdict = judge(item, raw: raw, route: route, single: single, tally: &tally, goal: &goal)
        // A rejected item is not acknowledged: its goal waits for the sender's retry.
        if case .rejected = verdict { return (verdict, nil) }
        return (verdict, goal)
    }

    private func judge(
        _ item: JSONValue,
        raw: ArraySlice<UInt8>?,
        route: Route,
        single: Bool,
        tally: inout Tally,
        goal: inout NewJob?
    ) -> ItemVerdict {
        guard var fields = item.objectValue else { return .rejected("event must be a JSON object", type: "unknown") }
        var original = raw
        // A browser SDK sends its write key in the body. It has done its work (authentication); kept
        // with the event it would reach `bridge dlq show` and every dead-letter export.
        if fields.removeValue(forKey: "writeKey") != nil { original = nil }
        if case .single(let type) = route, fields["type"] == nil {
            fields["type"] = .string(type)
            original = nil
        }
        if SegmentEvent(json: fields).messageId == nil {
            fields["messageId"] = .string("bridge-" + UUID().uuidString.lowercased())
            original = nil
        }
        let event = SegmentEvent(json: fields)
        let type = Self.typeLabel(event.type)
        tally.add("received", type: type)
        if let refusal = Self.refusal(of: event.type, on: route, single: single) { return .rejected(refusal, type: type) }
        if event.libraryName == configuration.libraryName { return .ignored("loop guard", type: type) }
        // A goal still goes through its own mapping (it may trigger a workflow too).
        if event.type == "track", let name = event.event, configuration.goals.contains(name), let userId = event.userId,
            let messageId = event.messageId
        {
            goal = Goal.job(event: .object(fields), userId: userId, messageId: messageId)
        }
        switch mapper.map(event) {
        case .invalid(let message):
            return .rejected(message, type: type)
        case .ignored(let reason):
            logger.debug("event ignored", metadata: ["event.id": "\(event.messageId ?? "")", "reason": "\(reason)"])
            return .ignored(reason, type: type)
        case .send(let call, let orderingKey, let correlation):
            let job = Self.job(
                call,
                orderingKey: orderingKey,
                correlation: correlation,
                event: original.map { Data($0) } ?? event.encoded,
                messageId: event.messageId ?? ""
            )
            if let tooLarge = Self.oversize(job) { return .rejected(tooLarge, type: type) }
            return .queued(job, type: type)
        }
    }

    /// The rejections of a request: each counted, the first `listedRejections` listed with their index.
    struct Rejections {
        var listed: [JSONValue] = []
        var total = 0

        mutating func add(index: Int, _ reason: String) {
            total += 1
            if listed.count < SegmentIngest.listedRejections {
                listed.append(["index": .int(Int64(index)), "error": .string(reason)])
            }
        }
    }
}
