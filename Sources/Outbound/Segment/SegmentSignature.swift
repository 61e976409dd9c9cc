import Crypto
import Foundation

/// The `X-Signature` check of Segment's Webhooks destination: lowercase hex HMAC-SHA1 of the body keyed
/// with the shared secret. For an array body Segment signs only its first element.
package enum SegmentSignature {
    /// `true` when `signature` is the HMAC-SHA1 of the signed part of `body` under `secret`.
    /// Compares in constant time.
    package static func isValid(body: [UInt8], signature: String?, secret: String) -> Bool {
        guard let signature, let given = hexBytes(signature.trimmingCharacters(in: .whitespaces)) else { return false }
        let key = SymmetricKey(data: Data(secret.utf8))
        let signed = signedBytes(of: body)
        return HMAC<Insecure.SHA1>.isValidAuthenticationCode(given, authenticating: signed, using: key)
    }

    /// The hex signature Segment would send for `body` (tests and `bridge test-event` use it).
    package static func sign(body: [UInt8], secret: String) -> String {
        let key = SymmetricKey(data: Data(secret.utf8))
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: signedBytes(of: body), using: key)
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// The bytes Segment signs: the whole body, or for an array the bytes from just after `[` to the
    /// end of the first element, exactly as sent.
    package static func signedBytes(of body: [UInt8]) -> ArraySlice<UInt8> {
        guard let open = body.firstIndex(where: { !isWhitespace($0) }), body[open] == UInt8(ascii: "[") else {
            return body[...]
        }
        let start = open + 1
        guard let end = JSONScanner.endOfValue(in: body, from: start) else { return body[...] }
        return body[start..<end]
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0, !utf8.isEmpty else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Finds where a JSON value ends without parsing it, for the signed span of an array body.
enum JSONScanner {
    /// The index just past the value that starts at or after `start` (leading whitespace skipped),
    /// or `nil` when the bytes end first.
    static func endOfValue(in bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        guard index < bytes.count else { return nil }
        var depth = 0
        var inString = false
        var escaped = false
        let first = bytes[index]
        if first != UInt8(ascii: "{"), first != UInt8(ascii: "["), first != UInt8(ascii: "\"") {
            // A bare scalar: runs until a delimiter.
            while index < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) {
                index += 1
            }
            return index
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if depth == 0 { return index }
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }
}
