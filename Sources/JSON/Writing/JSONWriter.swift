import Foundation

/// Writes `JSONValue` as compact JSON with sorted keys (equal values give equal bytes), without
/// `Encodable`'s boxing: every stored job and every request body goes through here.
package enum JSONWriter {
    /// Appends `value` to `out`.
    package static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let flag): out.append(contentsOf: flag ? "true".utf8 : "false".utf8)
        case .int(let number): out.append(contentsOf: String(number).utf8)
        case .double(let number): writeDouble(number, into: &out)
        case .string(let text): writeString(text, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // Sorted by the keys' bytes: as deterministic as Unicode order, and far cheaper to compare. The
            // members' positions are sorted, not the members: sorting moves no value. Each position carries
            // its key's first eight bytes as a number, so most comparisons compare two integers.
            var order = members.indices.map { SortKey(index: $0, key: members[$0].key) }
            if order.count > 1 {
                order.sort { $0.prefix != $1.prefix ? $0.prefix < $1.prefix : precedes(members[$0.index].key, members[$1.index].key) }
            }
            for (offset, position) in order.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                let member = members[position.index]
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `value` indented for people (two spaces a level, `"key" : value`, keys sorted as in
    /// `write`): what the CLI prints.
    package static func writeIndented(_ value: JSONValue, into out: inout [UInt8], depth: Int = 0) {
        func newline(_ level: Int) {
            out.append(UInt8(ascii: "\n"))
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
        }
        switch value {
        case .array(let elements) where !elements.isEmpty:
            out.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                writeIndented(element, into: &out, depth: depth + 1)
            }
            newline(depth)
            out.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            out.append(UInt8(ascii: "{"))
            for (offset, member) in members.sorted(by: { precedes($0.key, $1.key) }).enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                writeString(member.key, into: &out)
                out.append(contentsOf: " : ".utf8)
                writeIndented(member.value, into: &out, depth: depth + 1)
            }
            newline(depth)
            out.append(UInt8(ascii: "}"))
        default:
            write(value, into: &out)
        }
    }

    private static func writeDouble(_ number: Double, into out: inout [UInt8]) {
        guard number.isFinite else {
            out.append(contentsOf: Array("null".utf8))
            return
        }
        if number == number.rounded(), abs(number) < 1e15 {
            // 3.0 is written 3, as JavaScript and Foundation write it.
            out.append(contentsOf: String(Int64(number)).utf8)
        } else {
            out.append(contentsOf: "\(number)".utf8)
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// An object member's position, with its key's first eight bytes big-endian (zeros after a shorter
    /// key): integers that order as the bytes do, ties left to `precedes`.
    private struct SortKey {
        var index: Dictionary<String, JSONValue>.Index
        var prefix: UInt64

        init(index: Dictionary<String, JSONValue>.Index, key: String) {
            self.index = index
            var prefix: UInt64 = 0
            var count = 0
            for byte in key.utf8 {
                prefix |= UInt64(byte) << (56 - 8 * count)
                count += 1
                if count == 8 { break }
            }
            self.prefix = prefix
        }
    }

    /// Whether `a`'s UTF-8 bytes sort before `b`'s.
    private static func precedes(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { a in
            b.withUTF8 { b in
                let common = min(a.count, b.count)
                let order = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
                return order != 0 ? order < 0 : a.count < b.count
            }
        }
    }

    /// Appends `text` as a JSON string.
    package static func writeString(_ text: String, into out: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            out.append(UInt8(ascii: "\""))
            // Most strings need no escaping: copy them whole.
            guard bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                out.append(contentsOf: bytes)
                out.append(UInt8(ascii: "\""))
                return
            }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0..<0x20:
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                default: out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
    }
}
