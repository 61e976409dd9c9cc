/// What an operator does by hand when `bridge novu webhook setup` could not: the same three steps the
/// command takes, with the values it would have used.
package enum ManualSteps {
    /// The steps for an endpoint at `url` receiving `eventTypes`, whose secret belongs in `secretFile`.
    /// `portalURL` is the one-time portal link when Novu gave one; otherwise Novu's dashboard is the way in.
    package static func text(url: String, eventTypes: [String], secretFile: String?, portalURL: String?) -> String {
        let open =
            portalURL.map { "Open the webhook portal (a one-time link, valid for a short while):\n     \($0)" }
            ?? "In the Novu dashboard, open Settings → Webhooks (Developers → Webhooks in newer dashboards)."
        let secret =
            secretFile.map {
                "Copy its signing secret (whsec_…) into \($0) with mode 0600 (the bridge reads it through "
                    + "NOVU_WEBHOOK_SECRET_FILE=\($0)), or set NOVU_WEBHOOK_SECRET to it."
            } ?? "Copy its signing secret (whsec_…) into the bridge's NOVU_WEBHOOK_SECRET (or the file NOVU_WEBHOOK_SECRET_FILE names)."
        return """
            Set the webhook up by hand:
              1. \(open)
              2. Add an endpoint with the URL
                   \(url)
                 subscribed to these event types:
                   \(eventTypes.joined(separator: ", "))
              3. \(secret)
            """
    }

    /// The advice that goes before the steps, for the failures that have one.
    package static func advice(for failure: WebhookAdminFailure) -> String? {
        switch failure.kind {
        case .planWithoutWebhooks:
            "Novu's outbound webhooks need a Team or Enterprise plan. Without them, let the bridge poll Novu's "
                + "activity instead: set NOVU_POLL=on."
        case .novuKeyRejected:
            "Check NOVU_API_KEY (or NOVU_API_KEY_FILE): it must be the secret key of the Novu environment, and "
                + "NOVU_API_URL its region (https://eu.api.novu.co for the EU)."
        case .webhooksNotAvailable:
            "This Novu cannot run outbound webhooks (a self-hosted Novu needs Svix configured). Without them, "
                + "set NOVU_POLL=on to poll Novu's activity instead."
        case .svixTokenRejected:
            "Svix refused the token Novu issued: when SVIX_API_URL is set, check that it is the region of the "
                + "Novu account; otherwise run the command again (the token is short-lived)."
        case .failed, .noAnswer, .noEndpoint:
            nil
        }
    }
}
