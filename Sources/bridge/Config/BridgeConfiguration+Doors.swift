/// What the configuration means for the two ports' front doors, said once for `serve`'s wiring, its
/// start-up log, `check-config` and `/readyz`.
extension BridgeConfiguration {
    /// Why the segment port cannot take events, when it cannot: Novu is not configured.
    var novuNotConfigured: String? {
        guard !dryRun, novuAPIKey == nil else { return nil }
        return "NOVU_API_KEY is not set, so events for Novu cannot be delivered: set NOVU_API_KEY "
            + "(or BRIDGE_DRY_RUN=1 to only log them)"
    }

    /// Why the novu port cannot take webhooks, when it cannot: Segment is not configured.
    var segmentNotConfigured: String? {
        guard !dryRun, segmentWriteKey == nil else { return nil }
        return "SEGMENT_WRITE_KEY is not set, so feedback events cannot be delivered to Segment: set SEGMENT_WRITE_KEY "
            + "(or BRIDGE_DRY_RUN=1 to only log them)"
    }

    /// Routes without authentication, with the variable that would add it. In protected mode they take
    /// requests from this machine only; with `BRIDGE_ALLOW_UNAUTHENTICATED=1`, from anyone.
    var unauthenticatedRoutes: [(routes: String, variable: String)] {
        var open: [(String, String)] = []
        if segmentAuthTokens.isEmpty, segmentSharedSecrets.isEmpty {
            open.append(("POST / and /segment", "SEGMENT_AUTH_TOKEN"))
        }
        if writeKeys.isEmpty { open.append(("POST /v1/*", "BRIDGE_WRITE_KEYS")) }
        if acceptUnsigned, novuWebhookSecrets.isEmpty {
            open.append(("POST /webhooks/novu (BRIDGE_ACCEPT_UNSIGNED=1)", "NOVU_WEBHOOK_SECRET"))
        }
        return open
    }

    /// Advice for an operator who authenticates Segment's webhooks by signature alone.
    var signatureOnlyAdvice: String? {
        guard segmentAuthTokens.isEmpty, !segmentSharedSecrets.isEmpty else { return nil }
        return "SEGMENT_SHARED_SECRET alone authenticates only the first event of a batch and carries no time: "
            + "set SEGMENT_AUTH_TOKEN and add it as an Authorization: Bearer header in Segment's Webhooks (Actions) mapping"
    }
}
