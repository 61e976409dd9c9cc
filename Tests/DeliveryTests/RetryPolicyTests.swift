import Delivery
import Foundation
import Testing

@Suite("Retry classes and backoff (DESIGN §5)")
struct RetryPolicyTests {
    static let classes: [(status: Int?, expected: DeliveryDisposition)] = [
        (nil, .retry), (200, .success), (201, .success), (202, .success), (204, .success),
        (301, .permanent), (400, .permanent), (401, .hold), (403, .hold), (404, .permanent),
        (408, .retry), (409, .retry), (413, .permanent), (422, .permanent), (425, .retry), (429, .retry),
        (500, .retry), (501, .permanent), (502, .retry), (503, .retry), (504, .retry), (505, .permanent),
        (599, .retry),
    ]

    @Test("every status falls in its class", arguments: classes)
    func classify(status: Int?, expected: DeliveryDisposition) {
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
}
