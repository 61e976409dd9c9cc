import Crypto
import Foundation

/// Standard Webhooks (Svix) signatures, as Novu signs its outbound webhooks (DESIGN §4).
///
/// The signed content is `"{id}.{timestamp}.{raw body}"`, HMAC-SHA256 keyed with the base64-decoded
/// secret (after its `whsec_` prefix), base64-encoded. The header holds space-separated `v1,<sig>`
/// entries; any one matching any configured secret passes, which lets both sides rotate secrets.
package struct SvixSignature: Sendable {
    /// Why a request was refused.
    package enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case missingHeaders
        case badTimestamp
        case staleTimestamp
        case noMatch

        package var description: String {
            switch self {
            case .missingHeaders: "webhook-id, webhook-timestamp and webhook-signature headers are required"
            case .badTimestamp: "webhook-timestamp is not a Unix timestamp"
            case .staleTimestamp: "webhook-timestamp is more than 5 minutes from now"
            case .noMatch: "no signature matches a configured secret"
            }
        }
    }

    /// A secret that is not `whsec_` followed by base64.
    package struct InvalidSecret: Error, Sendable, CustomStringConvertible {
        package var description: String { "expected whsec_ followed by base64" }
    }

    /// How far the timestamp may be from now, either way.
    package static let tolerance: TimeInterval = 300

    /// One MAC per secret, already keyed: keying hashes the key into two blocks, and each request starts
    /// from a copy instead. Copies share the keyed state until one is fed (swift-crypto's hash contexts
    /// copy on write), so concurrent requests never touch each other's.
    private let keyed: KeyedMACs

    private struct KeyedMACs: @unchecked Sendable {
        let macs: [HMAC<SHA256>]
    }

    /// Reads secrets (`whsec_<base64>`); throws for one that does not decode.
    package init(secrets: [String]) throws(InvalidSecret) {
        var keys: [Data] = []
        for secret in secrets {
            let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
            guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else { throw InvalidSecret() }
            keys.append(bytes)
        }
        keyed = KeyedMACs(macs: keys.map { HMAC<SHA256>(key: SymmetricKey(data: $0)) })
    }

    /// `true` when at least one secret is configured.
    package var isConfigured: Bool { !keyed.macs.isEmpty }

    /// The checks that need no body: the headers are there and the timestamp is fresh; `nil` when they pass.
    /// The route runs them before it reads the body, so a request that cannot pass holds no body budget.
    package func checkHeaders(id: String?, timestamp: String?, signatures: String?, now: Date) -> Failure? {
        guard let id, !id.isEmpty, let timestamp, signatures != nil else { return .missingHeaders }
        let digits = timestamp.utf8.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }
        guard let seconds = Int64(String(decoding: digits.reversed(), as: UTF8.self)) else { return .badTimestamp }
        guard abs(now.timeIntervalSince1970 - Double(seconds)) <= Self.tolerance else { return .staleTimestamp }
        return nil
    }

    /// Checks one request; `nil` when it passes. Verification runs over the raw bytes, before any parsing.
    package func verify(
        id: String?,
        timestamp: String?,
        signatures: String?,
        body: [UInt8],
        now: Date
    ) -> Failure? {
        if let failure = checkHeaders(id: id, timestamp: timestamp, signatures: signatures, now: now) { return failure }
        guard let id, let timestamp, let signatures else { return .missingHeaders }
        // Split as bytes: the header is ASCII, and splitting it as characters costs more than the MAC.
        let offered = signatures.utf8.split(separator: UInt8(ascii: " ")).compactMap { entry -> Data? in
            guard entry.starts(with: "v1,".utf8) else { return nil }
            return Data(base64Encoded: String(decoding: entry.dropFirst(3), as: UTF8.self))
        }
        guard !offered.isEmpty else { return .noMatch }
        // One MAC per secret over "{id}.{timestamp}." and the body, fed in turn rather than copied together.
        let prefix = Array("\(id).\(timestamp).".utf8)
        for keyedMAC in keyed.macs {
            var mac = keyedMAC
            mac.update(data: prefix)
            mac.update(data: body)
            let expected = mac.finalize()
            // `==` against bytes compares in constant time.
            if offered.contains(where: { expected == $0 }) { return nil }
        }
        return .noMatch
    }

    /// The `v1,<base64>` signature for a request: for tests and `bridge test-event`.
    package static func sign(secret: String, id: String, timestamp: String, body: [UInt8]) throws(InvalidSecret) -> String {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let bytes = Data(base64Encoded: encoded) else { throw InvalidSecret() }
        var content = Array("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: bytes))
        return "v1," + Data(mac).base64EncodedString()
    }
}
