import Delivery
import Foundation
import JSON

// `JSONValue.parse` over any bytes: it throws, or gives a value that survives encode → parse.

extension FuzzChecks {
    /// The `FuzzJSON` target's check of one input; crashes on a broken property.
    public static func json(_ input: [UInt8]) {
        let bytes = input
        guard let value = try? JSONValue.parse(bytes) else { return }
        let encoded = value.encodedBytes()
        guard let again = try? JSONValue.parse(encoded) else {
            fatalError("the encoding of a parsed value does not parse: \(text(encoded))")
        }
        expect(sameJSON(value, again), "encode → parse changed the value: \(text(encoded))")
        expect(again.encodedBytes() == encoded, "the encoding is not stable: \(text(encoded))")
        let (withRanges, ranges) = (try? JSONValue.parseWithElementRanges(bytes)) ?? (.null, nil)
        expect(withRanges == value, "parseWithElementRanges read another value")
        expect(ranges?.count == value.arrayValue?.count, "not one range per element")
    }
}
