import Hummingbird

/// The novu port's webhook route. Verification, mapping and forwarding to Segment are the next
/// milestone (issue "Novu → Segment"); until then the route refuses deliveries with 501 so Novu
/// keeps them and retries, rather than the bridge acknowledging what it cannot forward.
public struct NovuRoutes: Sendable {
    public init() {}

    /// Adds `POST /webhooks/novu` to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.post("/webhooks/novu") { _, _ -> Response in
            Response(status: .notImplemented)
        }
    }
}
