import Crypto
import Foundation

/// Secrets a route accepts (bearer tokens, write keys), compared in constant time.
///
/// Each value is kept as its SHA-256 digest and a candidate is hashed the same way, so every comparison
/// is between 32 bytes, folded without an early exit; every accepted value is compared, so the time
/// does not tell which one, if any, came close.
package struct Credentials: Sendable {
    private let digests: [[UInt8]]

    /// Several values allow rotation: the new one is added, senders move over, the old one is removed.
    package init(_ values: some Sequence<String>) {
        digests = values.filter { !$0.isEmpty }.map(Self.digest)
    }

    private static func digest(_ value: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(value.utf8)))
    }

    /// No value configured: the route has no authentication of this kind.
    package var isEmpty: Bool { digests.isEmpty }

    /// Whether `candidate` is one of the values.
    package func accepts(_ candidate: String) -> Bool {
        let digest = Self.digest(candidate)
        var matches: UInt8 = 0
        for accepted in digests {
            var difference: UInt8 = 0
            for (a, b) in zip(accepted, digest) { difference |= a ^ b }
            matches |= difference == 0 ? 1 : 0
        }
        return matches == 1
    }

    /// Whether `authorization` is `Bearer <one of the values>`.
    package func acceptsBearer(_ authorization: String?) -> Bool {
        guard let token = Self.bearerToken(authorization) else { return false }
        return accepts(token)
    }

    /// The token of a `Bearer` authorization header (scheme case-insensitive), or `nil`.
    package static func bearerToken(_ authorization: String?) -> String? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
