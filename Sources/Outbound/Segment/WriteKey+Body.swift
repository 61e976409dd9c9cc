import Delivery
import JSON

extension WriteKey {
    /// The `writeKey` member of a JSON object body, found without building the JSON tree: a request
    /// whose key is not yet known gets no parsing done for it beyond this scan of the top level.
    /// `nil` when the body is not an object or has no string `writeKey`.
    package static func fromBody(_ body: [UInt8]) -> String? {
        var index = skipWhitespace(body, from: 0)
        guard index < body.count, body[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        while true {
            index = skipWhitespace(body, from: index)
            guard index < body.count, body[index] == UInt8(ascii: "\"") else { return nil }
            guard let keyEnd = JSONScanner.endOfValue(in: body, from: index) else { return nil }
            let key = body[index..<keyEnd]
            index = skipWhitespace(body, from: keyEnd)
            guard index < body.count, body[index] == UInt8(ascii: ":") else { return nil }
            let valueStart = skipWhitespace(body, from: index + 1)
            guard let valueEnd = JSONScanner.endOfValue(in: body, from: valueStart) else { return nil }
            if decodedString(key) == "writeKey" {
                return decodedString(body[valueStart..<valueEnd])
            }
            index = skipWhitespace(body, from: valueEnd)
            guard index < body.count, body[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
    }

    /// A JSON string token's text (escapes resolved); `nil` for any other token.
    private static func decodedString(_ token: ArraySlice<UInt8>) -> String? {
        guard token.count >= 2, token.first == UInt8(ascii: "\""), token.last == UInt8(ascii: "\"") else { return nil }
        if !token.contains(UInt8(ascii: "\\")) {
            return String(decoding: token.dropFirst().dropLast(), as: UTF8.self)
        }
        return (try? JSONValue.parse(Array(token)))?.stringValue
    }

    private static func skipWhitespace(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        return index
    }
}
