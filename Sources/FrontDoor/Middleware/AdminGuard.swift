import Delivery
import Hummingbird

/// Who may see the admin surface (`/metrics`, `/report`, `/dashboard`, the detail of `/readyz`): a
/// local peer, or a remote one with `Authorization: Bearer <BRIDGE_ADMIN_TOKEN>`.
package struct AdminAccess: Sendable {
    let tokens: Credentials

    package init(tokens: Credentials) {
        self.tokens = tokens
    }

    /// Whether `request`, from `peer`, may see the admin surface.
    package func allows(_ request: Request, peer: Peer) -> Bool {
        peer == .local || tokens.acceptsBearer(request.headers[.authorization])
    }

    /// The answer to a remote request without the token.
    var refusal: IngestAnswer {
        tokens.isEmpty
            ? .error(
                403,
                "ProtectedMode",
                "the admin surface takes requests from this machine only: set BRIDGE_ADMIN_TOKEN and send it as "
                    + "Authorization: Bearer <token>"
            )
            : .error(401, "Unauthorized", "Authorization: Bearer <token> is missing or is not BRIDGE_ADMIN_TOKEN")
    }
}

/// Refuses the routes it guards to requests `AdminAccess` does not allow. Added to a route group, so
/// it applies to what the router matched, whatever spelling of the path matched it (`/metrics/`,
/// `//metrics`).
package struct AdminGuard<Context: PeerRequestContext>: RouterMiddleware {
    let access: AdminAccess

    package init(access: AdminAccess) {
        self.access = access
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard access.allows(request, peer: context.peer(of: request)) else { return access.refusal.response }
        return try await next(request, context)
    }
}
