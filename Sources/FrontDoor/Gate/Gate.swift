import Delivery
import HTTPTypes
import Hummingbird

/// Whether a request may come in, decided from its peer and headers alone, before its body is read.
///
/// Each route of both ports has one: protected mode (a route without authentication takes local
/// requests only), a direction that is not configured, and the credentials its headers must carry.
/// What only the body can tell (a signature over the bytes, a write key inside the JSON) is checked by
/// the port's pipeline afterwards; everything the headers can tell is refused here, before a byte of
/// the body is read or any budget taken.
package struct Gate: Sendable {
    /// One thing the headers must satisfy.
    package enum Requirement: Sendable {
        /// `Authorization: Bearer <token>` with one of `tokens` (`variable` names where they are set).
        case bearer(Credentials, variable: String)
        /// The header must be present and not empty; `refusal` otherwise.
        case header(HTTPField.Name, refusal: IngestAnswer)
        /// A check of the port's own (Svix headers, a write key in `Authorization`): `nil` to let in.
        case check(@Sendable (HTTPFields) -> IngestAnswer?)
    }

    /// Whether the route has authentication configured; without it, protected mode applies.
    package var authenticated: Bool
    /// What to set to configure it, named in the protected-mode answer (`SEGMENT_AUTH_TOKEN`, …).
    package var protectedHint: String
    /// `BRIDGE_ALLOW_UNAUTHENTICATED=1`: take unauthenticated requests from anyone.
    package var allowUnauthenticated = false
    /// Set when the direction cannot deliver (its credential is missing and dry run was not asked
    /// for): every request is refused `503` with this sentence, so the sender retries later.
    package var notConfigured: String?
    package var requirements: [Requirement] = []
    /// Told of each `401` the gate answers (the port counts them).
    package var onUnauthorized: @Sendable () -> Void = {}

    package init(authenticated: Bool, protectedHint: String, requirements: [Requirement] = []) {
        self.authenticated = authenticated
        self.protectedHint = protectedHint
        self.requirements = requirements
    }

    /// The answer that refuses the request, or `nil` to let it in.
    package func refusal(peer: Peer, headers: HTTPFields) -> IngestAnswer? {
        refusal(peer: { peer }, headers: headers)
    }

    /// The same, with the peer worked out only when protected mode needs it.
    package func refusal(peer: () -> Peer, headers: HTTPFields) -> IngestAnswer? {
        if !authenticated, !allowUnauthenticated, peer() == .remote {
            return .error(
                403,
                "ProtectedMode",
                "this route has no authentication configured, so it takes requests from this machine only: "
                    + "set \(protectedHint), or BRIDGE_ALLOW_UNAUTHENTICATED=1 to take unauthenticated requests from anyone"
            )
        }
        if let refused = credentialRefusal(headers) {
            if refused.status == 401 { onUnauthorized() }
            return refused
        }
        // After the credentials: a stranger learns nothing of how the bridge is configured.
        if let notConfigured {
            return .error(503, "NotConfigured", notConfigured)
        }
        return nil
    }

    private func credentialRefusal(_ headers: HTTPFields) -> IngestAnswer? {
        for requirement in requirements {
            switch requirement {
            case .bearer(let tokens, let variable):
                guard tokens.acceptsBearer(headers[.authorization]) else {
                    return .error(401, "Unauthorized", "Authorization: Bearer <token> is missing or is not one of \(variable)")
                }
            case .header(let name, let refusal):
                guard let value = headers[name], !value.isEmpty else { return refusal }
            case .check(let check):
                if let refused = check(headers) { return refused }
            }
        }
        return nil
    }
}

/// A route's front door: its gate, then its body, read within the port's bounds.
package struct FrontDoor: Sendable {
    package var gate: Gate
    package let body: BodyReader

    package init(gate: Gate, body: BodyReader) {
        self.gate = gate
        self.body = body
    }

    /// `handle`'s answer to the request's body once the gate lets it in, or the answer that refuses it.
    /// The body's bytes count against the port's budget until `handle` returns.
    package func enter(
        _ request: Request,
        context: some PeerRequestContext,
        _ handle: ([UInt8]) async -> IngestAnswer
    ) async -> IngestAnswer {
        if let refused = gate.refusal(peer: { context.peer(of: request) }, headers: request.headers) {
            return refused
        }
        return await body.read(request, context: context, handle)
    }
}
