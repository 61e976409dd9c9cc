import Delivery
import Foundation
import Inbound
import Testing

/// The activity poller's timing and its reading of Novu's answers (DESIGN §10), as tables.
@Suite("Poll policy")
struct PollPolicyTests {
    static let since = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(
        "looks back off ×2 from NOVU_POLL_INTERVAL, at most 6 h apart",
        arguments: [(1, 120.0), (2, 240), (3, 480), (8, 15360), (9, 21600), (40, 21600)]
    )
    func backoff(looks: Int, wait: Double) {
        let now = Self.since.addingTimeInterval(100)
        #expect(PollPolicy().next(since: Self.since, looks: looks, now: now) == .lookAgain(at: now.addingTimeInterval(wait)))
    }

    @Test("a transaction is followed for NOVU_POLL_MAX_AGE: the last look falls on the limit, then it ends")
    func maxAge() {
        var policy = PollPolicy()
        policy.maxAge = .seconds(3600)
        let late = Self.since.addingTimeInterval(3500)
        #expect(policy.next(since: Self.since, looks: 9, now: late) == .lookAgain(at: Self.since.addingTimeInterval(3600)))
        #expect(policy.next(since: Self.since, looks: 10, now: Self.since.addingTimeInterval(3600)) == .end(reason: "age"))
    }

    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    struct Answer: Sendable, CustomTestStringConvertible {
        var status: Int?
        var headers: [String: String] = [:]
        var failures = 0
        var verdict: PollPolicy.Verdict
        var testDescription: String { "\(status.map(String.init) ?? "no answer") \(headers)" }
    }

    static let answers: [Answer] = [
        Answer(status: 200, verdict: .read),
        Answer(status: 402, verdict: .beyondRetention),
        Answer(
            status: 429,
            headers: ["retry-after": "30"],
            verdict: .pause(until: now.addingTimeInterval(30), reason: "rate limited (429)")
        ),
        Answer(
            status: 429,
            headers: ["ratelimit-remaining": "0", "ratelimit-reset": "7"],
            verdict: .pause(until: now.addingTimeInterval(7), reason: "rate limited (429)")
        ),
        Answer(status: 429, verdict: .pause(until: now.addingTimeInterval(60), reason: "rate limited (429)")),
        Answer(status: 429, headers: ["retry-after": "0"], verdict: .pause(until: now.addingTimeInterval(1), reason: "rate limited (429)")),
        Answer(status: 400, verdict: .refused(status: 400)),
        Answer(status: 414, verdict: .refused(status: 414)),
        Answer(status: 408, verdict: .pause(until: now.addingTimeInterval(60), reason: "HTTP 408")),
        Answer(status: 401, verdict: .pause(until: now.addingTimeInterval(60), reason: "Novu refused the API key (401)")),
        Answer(status: 500, verdict: .pause(until: now.addingTimeInterval(60), reason: "HTTP 500")),
        Answer(status: 503, failures: 3, verdict: .pause(until: now.addingTimeInterval(480), reason: "HTTP 503")),
        Answer(status: 503, headers: ["retry-after": "900"], verdict: .pause(until: now.addingTimeInterval(900), reason: "HTTP 503")),
        Answer(status: nil, failures: 20, verdict: .pause(until: now.addingTimeInterval(3600), reason: "no answer")),
    ]

    @Test(
        "Novu's answers: read, stop following (402), refused (another 4xx), or pause (429, Retry-After, failures with backoff)",
        arguments: answers
    )
    func verdicts(_ row: Answer) {
        #expect(PollPolicy().verdict(status: row.status, headers: row.headers, failures: row.failures, now: Self.now) == row.verdict)
    }

    @Test(
        "never faster than NOVU_POLL_MAX_RPS, nor than half of Novu's announced RateLimit-Limit",
        arguments: [
            ([String: String](), 5.0),
            (["ratelimit-limit": "100"], 5.0),
            (["ratelimit-limit": "6"], 3.0),
            (["ratelimit-limit": "60", "ratelimit-policy": "60;w=60"], 0.5),
            (["ratelimit-limit": "nonsense"], 5.0),
        ]
    )
    func pace(headers: [String: String], rate: Double) {
        #expect(PollPolicy().requestsPerSecond(announced: headers) == rate)
    }
}
