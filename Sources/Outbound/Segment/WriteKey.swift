import Crypto
import Foundation

/// The write key of a Segment SDK request: HTTP Basic username (`base64(writeKey + ":")`) or the body's
/// `writeKey`.
public enum WriteKey {
    /// The username of a `Basic` authorization header, or `nil`.
    public static func fromAuthorization(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces))
        else { return nil }
        let text = String(decoding: decoded, as: UTF8.self)
        let user = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
        guard let user, !user.isEmpty else { return nil }
        return user
    }

    /// Whether `candidate` is one of `keys`, in a time that depends on how many keys there are and not on
    /// their content: a comparison that stopped at the first differing byte, or at the first matching
    /// key, told a client by its timing how much of a guess was right.
    ///
    /// Each value is first reduced to an HMAC-SHA256 under a key drawn for this call, so every
    /// comparison is between 32 bytes whatever the lengths, and the digests say nothing an attacker can
    /// aim at.
    public static func matches(_ candidate: String, anyOf keys: some Collection<String>) -> Bool {
        let secret = SymmetricKey(size: .bits256)
        let given = Array(HMAC<SHA256>.authenticationCode(for: Data(candidate.utf8), using: secret))
        var found: UInt8 = 0
        for key in keys {
            let expected = Array(HMAC<SHA256>.authenticationCode(for: Data(key.utf8), using: secret))
            found |= fixedTimeEqual(given, expected) ? 1 : 0
        }
        return found == 1
    }

    /// Whether `a` and `b` hold the same bytes, looking at every byte of both whatever they hold (their
    /// lengths may show).
    static func fixedTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = a.count ^ b.count
        for index in 0..<max(a.count, b.count) {
            let left = index < a.count ? a[index] : 0
            let right = index < b.count ? b[index] : 0
            difference |= Int(left ^ right)
        }
        return difference == 0
    }
}
