import Delivery
import Foundation
import Testing

@Suite("Retry classes and backoff (DESIGN §5)")
struct RetryPolicyTests {
    static let classes: [(status: Int?, expected: AttemptResult.Verdict)] = [
        (nil, .retry), (200, .delivered()), (201, .delivered()), (202, .delivered()), (204, .delivered()),
        (301, .refused), (400, .refused), (401, .hold), (403, .hold), (404, .refused),
        (408, .retry), (409, .retry), (413, .refused), (422, .refused), (425, .retry), (429, .retry),
        (500, .retry), (501, .refused), (502, .retry), (503, .retry), (504, .retry), (505, .refused),
        (599, .retry),
    ]

    @Test("every status falls in its class", arguments: classes)
    func classify(status: Int?, expected: AttemptResult.Verdict) {
        #expect(RetryPolicy.classify(status: status) == expected)
    }

    @Test("backoff doubles from 1 s and is capped at 5 minutes")
    func backoffDoubles() {
        let middle = 0.5  // no jitter at the midpoint
        #expect(RetryPolicy.backoff(afterAttempts: 1, random: middle) == .seconds(1))
        #expect(RetryPolicy.backoff(afterAttempts: 2, random: middle) == .seconds(2))
        #expect(RetryPolicy.backoff(afterAttempts: 3, random: middle) == .seconds(4))
        #expect(RetryPolicy.backoff(afterAttempts: 9, random: middle) == .seconds(256))
        #expect(RetryPolicy.backoff(afterAttempts: 10, random: middle) == .seconds(300))
        #expect(RetryPolicy.backoff(afterAttempts: 200, random: 1) == .seconds(300))
    }

    @Test("jitter spreads ±20% and never exceeds the cap")
    func jitter() {
        #expect(RetryPolicy.backoff(afterAttempts: 3, random: 0) == .milliseconds(3200))
        #expect(RetryPolicy.backoff(afterAttempts: 3, random: 1) == .milliseconds(4800))
        #expect(RetryPolicy.backoff(afterAttempts: 9, random: 1) == .seconds(300))
    }

    @Test("Retry-After is a floor, never a ceiling")
    func retryAfterFloor() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let later = now.addingTimeInterval(30)
        #expect(RetryPolicy.nextAttempt(afterAttempts: 1, now: now, retryAfter: later, random: 0.5) == later)
        let earlier = now.addingTimeInterval(0.1)
        #expect(RetryPolicy.nextAttempt(afterAttempts: 1, now: now, retryAfter: earlier, random: 0.5) == now.addingTimeInterval(1))
    }

    @Test("Retry-After reads seconds and HTTP dates")
    func retryAfterParsing() {
        let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(RetryAfter.parse("3", now: now) == now.addingTimeInterval(3))
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:40 GMT", now: now) == now.addingTimeInterval(3))
        #expect(RetryAfter.parse("soon", now: now) == nil)
        #expect(RetryAfter.parse(nil, now: now) == nil)
        #expect(RetryAfter.parse("-1", now: now) == nil)
    }

    @Test("a destination's header cannot push a retry or a pause more than 24 h out")
    func hugeHeadersAreCapped() {
        let now = Date(timeIntervalSince1970: 784_111_777)
        let cap = now.addingTimeInterval(24 * 3600)
        // Unbounded, these overflowed the lane's sleep and crashed the process.
        #expect(RetryAfter.parse("9223372036854775807", now: now) == cap)
        #expect(RetryAfter.parse("Fri, 31 Dec 9999 23:59:59 GMT", now: now) == cap)
        #expect(RetryAfter.parse("90", now: now) == now.addingTimeInterval(90))
        let exhausted = ["ratelimit-remaining": "0"]
        #expect(RateLimitHeaders.pause(exhausted.merging(["ratelimit-reset": "1e300"]) { $1 }, now: now) == cap)
        #expect(RateLimitHeaders.pause(exhausted.merging(["ratelimit-reset": "inf"]) { $1 }, now: now) == nil)
        #expect(RateLimitHeaders.pause(exhausted.merging(["ratelimit-reset": "nan"]) { $1 }, now: now) == nil)
        #expect(RateLimitHeaders.pause(exhausted.merging(["ratelimit-reset": "2"]) { $1 }, now: now) == now.addingTimeInterval(2))
    }
}
