import Delivery
import Foundation
import JSON
import Outbound

// A segment-port body as the webhook route reads it: the signed span, the batch split into the bytes
// of each event, then each event validated and mapped.

private let mappers = [
    SegmentMapper(),
    SegmentMapper(
        rules: MappingRules(
            fallback: .ignore,
            rules: [MappingRules.Rule(event: "Order Completed", workflow: "order"), MappingRules.Rule(type: "page", workflow: "page")]
        ),
        environment: "production"
    ),
]

extension FuzzChecks {
    /// The `FuzzSegmentBody` target's check of one input; crashes on a broken property.
    public static func segmentBody(_ input: [UInt8]) {
        let body = input
        let signed = SegmentSignature.signedBytes(of: body)
        expect(signed.startIndex >= 0 && signed.endIndex <= body.count, "signed span outside the body")
        guard let (document, ranges) = try? JSONValue.parseWithElementRanges(body) else { return }
        var events: [JSONValue] = [document]
        if case .array(let elements) = document {
            guard let ranges else { fatalError("an array body without element ranges") }
            expect(ranges.count == elements.count, "\(ranges.count) ranges for \(elements.count) elements")
            for (range, element) in zip(ranges, elements) {
                expect(range.lowerBound >= 0 && range.upperBound <= body.count, "range \(range) outside the body")
                expect((try? JSONValue.parse(body[range])) == element, "the bytes of range \(range) are not its element")
            }
            if let first = ranges.first {
                // Segment signs from just after `[` to the end of the first element.
                let open = body.firstIndex(of: UInt8(ascii: "["))!
                expect(
                    signed.startIndex == open + 1 && signed.endIndex == first.upperBound,
                    "signed span \(signed.indices), first element \(first)"
                )
            }
            events = elements
        }
        for case .object(var fields) in events {
            if SegmentEvent(json: fields).messageId == nil { fields["messageId"] = "fuzz-message" }
            let event = SegmentEvent(json: fields)
            let again = try? JSONValue.parse(event.encoded)
            expect(again.map { sameJSON($0, .object(fields)) } == true, "an event does not survive its encoding: \(text(event.encoded))")
            for mapper in mappers {
                if case .send(let call, let orderingKey, _) = mapper.map(event) {
                    expect(!orderingKey.isEmpty, "a call without an ordering key")
                    if let body = call.body { _ = body.encodedBytes() }
                }
            }
        }
    }
}
