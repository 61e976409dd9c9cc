import Foundation

/// The retry rules of DESIGN §5, as pure functions: no clock, network or randomness inside.
package enum RetryPolicy {
    /// Classifies an answer by status; `nil` means no answer (connect failure, timeout, reset).
    package static func classify(status: Int?) -> AttemptResult.Verdict {
        guard let status else { return .retry }
        switch status {
        case 200..<300: return .delivered()
        case 401, 403: return .hold
        case 408, 409, 425, 429: return .retry
        case 501, 505: return .refused
        case 500..<600: return .retry
        default: return .refused
        }
    }

    /// The wait before attempt `attempt + 1`, after `attempt` attempts have failed: `base` doubled per
    /// attempt, capped at `cap`, then spread by ±20% (`random` in 0..<1) so a burst of failures does
    /// not come back as a burst; never above `cap`.
    package static func backoff(
        afterAttempts attempt: Int,
        base: Duration = .seconds(1),
        cap: Duration = .seconds(300),
        random: Double
    ) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let raw = base * (1 << exponent)
        let capped = raw > cap ? cap : raw
        // Whole milliseconds, so equal inputs give equal, exact delays.
        let factor = 0.8 + 0.4 * min(max(random, 0), 1)
        let jittered = Duration.milliseconds(Int64((Double(capped.milliseconds) * factor).rounded()))
        return jittered > cap ? cap : jittered
    }

    /// When the next attempt may start: after the backoff, and never before a `Retry-After` the
    /// destination named.
    package static func nextAttempt(
        afterAttempts attempt: Int,
        now: Date,
        retryAfter: Date?,
        base: Duration = .seconds(1),
        cap: Duration = .seconds(300),
        random: Double
    ) -> Date {
        let wait = backoff(afterAttempts: attempt, base: base, cap: cap, random: random)
        let earliest = now.addingTimeInterval(wait.timeInterval)
        guard let retryAfter else { return earliest }
        return max(earliest, retryAfter)
    }
}

extension Duration {
    /// Seconds as a `TimeInterval`.
    package var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
