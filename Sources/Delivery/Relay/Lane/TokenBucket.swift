import Foundation

/// A per-destination request ceiling (`NOVU_MAX_RPS`, `SEGMENT_MAX_RPS`), counted the way the
/// destination counts: a request may cost more than one token (a Novu bulk request costs 100). Pure:
/// the caller passes the time in and sleeps for the wait it is given.
package struct TokenBucket: Sendable, Equatable {
    /// Tokens added per second.
    package let rate: Double
    /// Most tokens saved up while idle.
    package let burst: Double
    private var tokens: Double
    private var updated: Date

    package init(ratePerSecond: Double, burst: Double? = nil, now: Date) {
        rate = ratePerSecond
        self.burst = max(1, burst ?? ratePerSecond)
        tokens = self.burst
        updated = now
    }

    /// Takes `cost` tokens and returns how long to wait before sending. A cost larger than what is
    /// saved up borrows from the future, so a bulk request waits its fair share instead of never going.
    package mutating func reserve(cost: Int, now: Date) -> TimeInterval {
        let elapsed = max(0, now.timeIntervalSince(updated))
        tokens = min(burst, tokens + elapsed * rate)
        updated = now
        tokens -= Double(cost)
        return tokens >= 0 ? 0 : -tokens / rate
    }
}

/// Reads `RateLimit-Remaining` / `RateLimit-Reset` (delta-seconds): when nothing remains, the destination
/// should not be asked again before the reset (at most `RetryAfter.longest` away).
package enum RateLimitHeaders {
    package static func pause(_ headers: [String: String], now: Date) -> Date? {
        guard let remaining = headers["ratelimit-remaining"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
            remaining <= 0,
            let reset = headers["ratelimit-reset"].flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }),
            reset.isFinite, reset > 0
        else { return nil }
        return now.addingTimeInterval(min(reset, RetryAfter.longest))
    }
}
