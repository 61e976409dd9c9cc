import Inbound
import Testing

@Suite("Endpoint plan of setup")
struct EndpointPlanTests {
    static let url = "https://bridge.example.com/webhooks/novu"
    static let events = ["message.delivered", "message.sent"]

    static func endpoint(_ id: String, _ url: String = url, events: [String]? = events, disabled: Bool = false) -> SvixEndpoint {
        SvixEndpoint(id: id, url: url, eventTypes: events, disabled: disabled)
    }

    @Test("no endpoint, or none at the URL: create")
    func create() {
        #expect(EndpointPlan.decide(existing: [], url: Self.url, eventTypes: Self.events) == .create)
        let other = Self.endpoint("ep_other", "https://elsewhere.example.com/hook")
        #expect(EndpointPlan.decide(existing: [other], url: Self.url, eventTypes: Self.events) == .create)
    }

    @Test("an endpoint at the URL with the same filter, in any order: keep it")
    func keep() {
        let found = Self.endpoint("ep_1", events: ["message.delivered", "message.sent"])
        #expect(EndpointPlan.decide(existing: [found], url: Self.url, eventTypes: ["message.sent", "message.delivered"]) == .keep(found))
    }

    @Test("a different filter, or none (every type): update the filter only")
    func updateFilter() {
        for events in [["message.sent"], nil] as [[String]?] {
            let found = Self.endpoint("ep_1", events: events)
            #expect(
                EndpointPlan.decide(existing: [found], url: Self.url, eventTypes: Self.events)
                    == .update(found, eventTypes: Self.events, enable: false)
            )
        }
    }

    @Test("a disabled endpoint with the right filter: enable it, filter untouched")
    func enable() {
        let found = Self.endpoint("ep_1", disabled: true)
        #expect(
            EndpointPlan.decide(existing: [found], url: Self.url, eventTypes: Self.events) == .update(found, eventTypes: nil, enable: true)
        )
    }

    @Test("of several endpoints at the URL, the one already right is kept")
    func several() {
        let wrong = Self.endpoint("ep_1", events: ["message.sent"])
        let right = Self.endpoint("ep_2")
        #expect(EndpointPlan.decide(existing: [wrong, right], url: Self.url, eventTypes: Self.events) == .keep(right))
    }

    static let sameURLs: [(String, String, Bool)] = [
        ("https://bridge.example.com/webhooks/novu", "https://bridge.example.com/webhooks/novu", true),
        ("https://Bridge.Example.com/webhooks/novu", "HTTPS://bridge.example.com/webhooks/novu/", true),
        ("https://bridge.example.com:443/webhooks/novu", "https://bridge.example.com/webhooks/novu", true),
        ("https://bridge.example.com", "https://bridge.example.com/", true),
        ("https://bridge.example.com/webhooks/Novu", "https://bridge.example.com/webhooks/novu", false),
        ("http://bridge.example.com/webhooks/novu", "https://bridge.example.com/webhooks/novu", false),
        ("https://bridge.example.com:8443/webhooks/novu", "https://bridge.example.com/webhooks/novu", false),
        ("https://bridge.example.com/webhooks/novu?a=1", "https://bridge.example.com/webhooks/novu", false),
    ]

    @Test("URLs compare as Svix stores them", arguments: sameURLs)
    func sameURL(lhs: String, rhs: String, same: Bool) {
        #expect(WebhookURL.same(lhs, rhs) == same)
    }

    @Test("only http(s) URLs with a host are deliverable")
    func deliverable() {
        #expect(WebhookURL.isDeliverable("https://bridge.example.com/webhooks/novu"))
        #expect(WebhookURL.isDeliverable("http://127.0.0.1:8082/webhooks/novu"))
        #expect(!WebhookURL.isDeliverable("bridge.example.com/webhooks/novu"))
        #expect(!WebhookURL.isDeliverable("ftp://bridge.example.com/"))
        #expect(!WebhookURL.isDeliverable("https:///webhooks/novu"))
    }
}
