import Foundation

/// A JSON document as a value: what the bridge reads from Segment and Novu and writes back.
///
/// Integers and floating-point numbers are kept apart so a payload passes through unchanged
/// (`3` stays `3`, not `3.0`). Object key order is not preserved; encoders sort keys.
package enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue {
    /// The member `key` of an object, or `nil` for a missing key or a non-object.
    package subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string, or `nil` when this is not a string.
    package var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The members, or `nil` when this is not an object.
    package var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements, or `nil` when this is not an array.
    package var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The boolean, or `nil` when this is not a boolean.
    package var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// `true` for `null`.
    package var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A string, or a number written as one; `nil` for anything else. Segment ids may arrive as numbers.
    package var scalarText: String? {
        switch self {
        case .string(let value): value
        case .int(let value): String(value)
        case .double(let value): String(value)
        default: nil
        }
    }
}

extension JSONValue {
    /// Parses one JSON document.
    package static func parse(_ bytes: some ContiguousBytes) throws -> JSONValue {
        try JSONParser.parse(bytes)
    }

    /// Parses one JSON document; for an array, also the byte range of each element as it appears in `bytes`.
    package static func parseWithElementRanges(_ bytes: some ContiguousBytes) throws -> (JSONValue, [Range<Int>]?) {
        try JSONParser.parseWithElementRanges(bytes)
    }

    /// The compact JSON text of this value, keys sorted so equal values give equal bytes.
    package func encoded() -> Data {
        Data(encodedBytes())
    }

    /// The compact JSON text as bytes.
    package func encodedBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        JSONWriter.write(self, into: &out)
        return out
    }

    /// The JSON text as a `String`.
    /// The value indented for people; see `JSONWriter.writeIndented`.
    package func indentedString() -> String {
        var out: [UInt8] = []
        JSONWriter.writeIndented(self, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    package func encodedString() -> String {
        String(decoding: encoded(), as: UTF8.self)
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral
{
    package init(stringLiteral value: String) { self = .string(value) }
    package init(booleanLiteral value: Bool) { self = .bool(value) }
    package init(integerLiteral value: Int64) { self = .int(value) }
    package init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    package init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    package init(nilLiteral: ()) { self = .null }
}
