import Delivery
import Foundation
import Testing

@Suite("A request shown as text never shows its credential")
struct RedactedRequestTests {
    static let cases: [(authorization: String, shown: String)] = [
        ("ApiKey sk_live_123", "ApiKey [redacted]"),
        ("Basic d3JpdGVrZXk6", "Basic [redacted]"),
        ("ApiKey ", "ApiKey [redacted]"),
        ("bare-token-without-scheme", "[redacted]"),
    ]

    @Test("the Authorization header keeps only its scheme", arguments: cases)
    func authorization(_ authorization: String, _ shown: String) {
        let request = HTTPClientRequest(
            method: "POST",
            url: "https://api.novu.co/v1/events/trigger",
            headers: [("authorization", authorization), ("Content-Type", "application/json")],
            body: Data(#"{"name":"w"}"#.utf8)
        )
        #expect(
            request.redacted == """
                POST https://api.novu.co/v1/events/trigger
                authorization: \(shown)
                Content-Type: application/json

                {"name":"w"}
                """
        )
        #expect(!request.redactedHead.contains("sk_live") && !request.redactedHead.contains("d3JpdGVrZXk6"))
    }

    @Test("an item of a request of several keeps only its part; a request of one is shown whole")
    func part() {
        let request = HTTPClientRequest(
            method: "POST",
            url: "https://api.segment.io/v1/batch",
            headers: [("Authorization", "Basic c2VjcmV0Og==")],
            body: Data(#"{"batch":[{"a":1},{"b":2}]}"#.utf8)
        )
        let part = request.redacted(part: Data(#"{"b":2}"#.utf8), of: 2, in: "batch")
        #expect(part.hasSuffix("(this event's part of a batch of 2 events)\n{\"b\":2}"))
        #expect(!part.contains(#"{"a":1}"#) && !part.contains("c2VjcmV0Og=="))
        #expect(request.redacted(part: Data(), of: 1, in: "batch") == request.redacted)
    }

    @Test("a request without a body is its head alone")
    func empty() {
        let request = HTTPClientRequest(method: "GET", url: "https://x/v1/topics", headers: [("Authorization", "ApiKey k")])
        #expect(request.redacted == "GET https://x/v1/topics\nAuthorization: ApiKey [redacted]")
    }
}
