import Crypto
import Delivery
import Foundation
import FrontDoor
import HTTPTypes

/// Who may send events to the segment port, decided in two steps: the headers at the front door
/// (`gate(for:)`), then what only the body can tell (`authenticate`).
extension SegmentIngest {
    /// The front door of `route`: protected mode, a Novu that is not configured, and the credentials
    /// the headers must carry.
    ///
    /// - Webhook routes: `Authorization: Bearer` with a `SEGMENT_AUTH_TOKEN` when tokens are set;
    ///   an `X-Signature` header when shared secrets are set (its value is checked with the body).
    /// - `/v1/*` with write keys set: a write key in `Authorization` must be one of them; without one the
    ///   key must be in the body, which is then read (at most `bodyLimit`), scanned for its `writeKey`
    ///   and parsed only if that key is accepted. A compressed body must carry the key in `Authorization`:
    ///   nothing is inflated for a request whose key is unknown.
    package func gate(for route: Route) -> Gate {
        var gate: Gate
        switch route {
        case .webhook:
            gate = Gate(
                authenticated: !configuration.authTokens.isEmpty || !configuration.sharedSecrets.isEmpty,
                protectedHint: "SEGMENT_AUTH_TOKEN (or SEGMENT_SHARED_SECRET)"
            )
            if !configuration.authTokens.isEmpty {
                gate.requirements.append(.bearer(Credentials(configuration.authTokens), variable: "SEGMENT_AUTH_TOKEN"))
            }
            if !configuration.sharedSecrets.isEmpty {
                gate.requirements.append(.header(Self.signatureHeader, refusal: Self.badSignature))
            }
        case .single, .batch:
            gate = Gate(authenticated: !configuration.writeKeys.isEmpty, protectedHint: "BRIDGE_WRITE_KEYS")
            if !configuration.writeKeys.isEmpty {
                gate.requirements.append(.check { [writeKeyList] headers in Self.writeKeyRefusal(headers, keys: writeKeyList) })
            }
        }
        gate.requirements.append(
            .check { headers in
                Self.mediaTypeRefusal(headers[.contentType]) ?? BodyReader.encodingRefusal(headers[.contentEncoding])
            }
        )
        gate.onUnauthorized = { [self] in count("unauthorized", type: "unknown") }
        gate.allowUnauthenticated = configuration.allowUnauthenticated
        gate.notConfigured = configuration.notConfigured
        return gate
    }

    static let signatureHeader = HTTPField.Name("X-Signature")!

    static let badSignature = Answer.error(
        401,
        "Unauthorized",
        "X-Signature is missing or does not match SEGMENT_SHARED_SECRET"
    )

    /// A signature seen before on a committed request, now on other bytes: Segment signs only the first
    /// element of an array and puts no time in the signature, so anyone holding one signed request could
    /// append events to it for ever.
    static let signatureReplayed = Answer.error(
        401,
        "SignatureReplayed",
        "this X-Signature was already used for a request with other bytes; set SEGMENT_AUTH_TOKEN to authenticate "
            + "whole requests"
    )

    /// What the `Authorization` header tells of a `/v1/*` request while write keys are set.
    static func writeKeyRefusal(_ headers: HTTPFields, keys: Credentials) -> Answer? {
        if let key = WriteKey.fromAuthorization(headers[.authorization]) {
            return keys.accepts(key) ? nil : .error(401, "Unauthorized", "unknown write key")
        }
        if let encoding = headers[.contentEncoding]?.lowercased(), encoding != "identity" {
            return .error(
                401,
                "Unauthorized",
                "a compressed body must carry its write key as HTTP Basic authorization (base64(writeKey + \":\"))"
            )
        }
        return nil
    }

    static func mediaTypeRefusal(_ contentType: String?) -> Answer? {
        guard let contentType, !isJSONMediaType(contentType) else { return nil }
        return .error(415, "UnsupportedMediaType", "Content-Type must be application/json (or text/plain)")
    }

    /// What only the body can tell: the signature over its bytes (with the binding that stops it being
    /// reused on other bytes), and a write key carried in the body. The body is not parsed for this.
    func authenticate(route: Route, body: [UInt8], signature: String?, authorization: String?) -> BodyAuthentication {
        switch route {
        case .webhook:
            guard !configuration.sharedSecrets.isEmpty else { return .passed(binding: nil) }
            guard let signature,
                configuration.sharedSecrets.contains(where: { SegmentSignature.isValid(body: body, signature: signature, secret: $0) })
            else { return .refused(Self.badSignature) }
            // With a token the whole request is authenticated; with the signature alone, it is bound to
            // the digest of these bytes.
            guard configuration.authTokens.isEmpty else { return .passed(binding: nil) }
            let digest = SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
            let normalized = signature.trimmingCharacters(in: .whitespaces).lowercased()
            return .passed(binding: KeyBinding(key: "segment-signature:" + normalized, value: digest))
        case .single, .batch:
            guard !configuration.writeKeys.isEmpty, WriteKey.fromAuthorization(authorization) == nil else { return .passed(binding: nil) }
            guard let key = WriteKey.fromBody(body) else { return .refused(.error(401, "Unauthorized", "a write key is required")) }
            return writeKeyList.accepts(key) ? .passed(binding: nil) : .refused(.error(401, "Unauthorized", "unknown write key"))
        }
    }

    /// What `authenticate` makes of a body.
    enum BodyAuthentication {
        /// Let in; a signature-only webhook carries the binding to commit with its jobs.
        case passed(binding: KeyBinding?)
        case refused(Answer)
    }

    /// Why `job` can never be sent, if it cannot: Novu refuses a trigger request body over 512 KB
    /// (524,288 bytes, `413`), so such an event is refused here rather than acknowledged.
    static func oversize(_ job: NewJob) -> String? {
        guard job.payload.count > NovuDestination.maxBodyBytes, let stored = try? NovuCall.decode(job.payload),
            stored.body.count > NovuDestination.maxBodyBytes
        else { return nil }
        return "the Novu request this event makes is \(stored.body.count) bytes; Novu takes at most 524288 (512 KB)"
    }
}
