import Inbound
import Testing

@Suite("Manual steps after a failed setup")
struct ManualStepsTests {
    @Test("the steps name the URL, the event types, the secret file, and the portal link when there is one")
    func steps() {
        let text = ManualSteps.text(
            url: "https://b/webhooks/novu",
            eventTypes: ["message.sent", "preference.updated"],
            secretFile: "/run/secrets/novu_webhook",
            portalURL: "https://app.svix.com/login#key=one-time"
        )
        #expect(text.contains("https://app.svix.com/login#key=one-time"))
        #expect(text.contains("https://b/webhooks/novu"))
        #expect(text.contains("message.sent, preference.updated"))
        #expect(text.contains("/run/secrets/novu_webhook"))
        #expect(text.contains("NOVU_WEBHOOK_SECRET_FILE=/run/secrets/novu_webhook"))
    }

    @Test("without a portal link, the dashboard is the way in")
    func dashboard() {
        let text = ManualSteps.text(url: "https://b", eventTypes: ["message.sent"], secretFile: nil, portalURL: nil)
        #expect(text.contains("Novu dashboard"))
        #expect(text.contains("NOVU_WEBHOOK_SECRET"))
    }

    @Test("a plan without webhooks points at the activity poller")
    func plan() {
        let failure = WebhookAdminFailure(
            kind: .planWithoutWebhooks,
            step: "Novu GET /v2/outbound-webhooks/portal/token",
            status: 402,
            reason: "x"
        )
        #expect(ManualSteps.advice(for: failure)?.contains("NOVU_POLL=on") == true)
        #expect(failure.description == "Novu GET /v2/outbound-webhooks/portal/token: HTTP 402 — x")
        let none = WebhookAdminFailure(kind: .noAnswer, step: "Svix GET /api/v1/app/a/endpoint", reason: "Connection refused")
        #expect(none.description == "Svix GET /api/v1/app/a/endpoint: no answer — Connection refused")
    }
}
