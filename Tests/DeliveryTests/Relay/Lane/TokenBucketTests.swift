import Delivery
import Foundation
import Testing

@Suite("Rate ceiling (NOVU_MAX_RPS, SEGMENT_MAX_RPS)")
struct TokenBucketTests {
    let start = Date(timeIntervalSince1970: 1_000_000)

    @Test("a full bucket lets a second's worth through at once, then one request per 1/rate")
    func steadyRate() {
        var bucket = TokenBucket(ratePerSecond: 10, now: start)
        for _ in 0..<10 { #expect(bucket.reserve(cost: 1, now: start) == 0) }
        #expect(abs(bucket.reserve(cost: 1, now: start) - 0.1) < 1e-9)
        // Half a second later five tokens have come back, less the one borrowed above.
        let later = start.addingTimeInterval(0.5)
        for _ in 0..<4 { #expect(bucket.reserve(cost: 1, now: later) == 0) }
        #expect(bucket.reserve(cost: 1, now: later) > 0)
    }

    @Test("a bulk request costs 100: at 6000 tokens a second, sixty bulk requests, then one per 1/60 s")
    func bulkCost() {
        var bucket = TokenBucket(ratePerSecond: 6000, now: start)
        for _ in 0..<60 { #expect(bucket.reserve(cost: 100, now: start) == 0) }
        #expect(abs(bucket.reserve(cost: 100, now: start) - 100.0 / 6000) < 1e-9)
    }

    @Test("a cost over the whole burst borrows from the future instead of never going")
    func costOverBurst() {
        var bucket = TokenBucket(ratePerSecond: 50, now: start)
        #expect(bucket.reserve(cost: 100, now: start) == 1)
        // Idle time saves up no more than the burst.
        var idle = TokenBucket(ratePerSecond: 5, now: start)
        #expect(idle.reserve(cost: 5, now: start.addingTimeInterval(3600)) == 0)
        #expect(idle.reserve(cost: 1, now: start.addingTimeInterval(3600)) > 0)
    }
}
