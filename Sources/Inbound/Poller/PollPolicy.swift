import Delivery
import Foundation

/// The activity poller's decisions, free of I/O (DESIGN §10): when to look at a transaction again,
/// how to take Novu's answers, how fast to ask.
package struct PollPolicy: Sendable, Equatable {
    /// `NOVU_POLL_INTERVAL`: the first look at a transaction comes this long after Novu acknowledged it;
    /// each later one twice as long after the one before.
    package var interval: Duration = .seconds(60)
    /// Looks are never further apart than this.
    package var longestInterval: Duration = .seconds(6 * 3600)
    /// `NOVU_POLL_MAX_AGE`: a transaction is followed this long.
    package var maxAge: Duration = .seconds(7 * 86400)
    /// `NOVU_POLL_MAX_RPS`: requests per second, at most.
    package var maxRequestsPerSecond: Double = 5
    /// An email's provider events (opens, clicks) are read for this long after the trigger: each read is
    /// a request of its own per transaction, most emails are never clicked, and clicks come early.
    /// Later looks still read the messages (sent, delivered, seen, read, failed).
    package var providerEventsWindow: Duration = .seconds(2 * 86400)
    /// No plan keeps less activity than this (Free: 24 h): a `402` for a younger transaction is about the
    /// account, not the transaction's age, and ends nothing.
    package var shortestRetention: Duration = .seconds(86400)

    package init() {}

    /// What comes after the look a transaction followed since `since` just had (its `looks`-th, from 1).
    package func next(since: Date, looks: Int, now: Date) -> FollowLook.Next {
        if now.timeIntervalSince(since) >= maxAge.timeInterval { return .end(reason: "age") }
        let factor = pow(2.0, Double(min(max(looks, 0), 30)))
        let wait = min(interval.timeInterval * factor, longestInterval.timeInterval)
        // The last look falls at the age limit, not a whole interval past it.
        return .lookAgain(at: min(now.addingTimeInterval(wait), since.addingTimeInterval(maxAge.timeInterval)))
    }

    /// How one answer of Novu's activity API is taken.
    package enum Verdict: Sendable, Equatable {
        /// Read it.
        case read
        /// 402: beyond the plan's activity retention; stop following what was asked about.
        case beyondRetention
        /// Another 4xx, about this request (a transaction id Novu will not take, a URL too long):
        /// asking again the same way gets the same answer.
        case refused(status: Int)
        /// Ask nothing before `until` (429, `Retry-After`, or a failure worth waiting out).
        case pause(until: Date, reason: String)
    }

    /// Judges an answer (`status` `nil`: none arrived). `failures` is how many rounds in a row failed
    /// before this one, for the backoff of failures that name no time.
    package func verdict(status: Int?, headers: [String: String], failures: Int, now: Date) -> Verdict {
        let named = headers["retry-after"].flatMap { RetryAfter.parse($0, now: now) }
        let backoff = now.addingTimeInterval(min(interval.timeInterval * pow(2.0, Double(min(failures, 12))), 3600))
        guard let status else { return .pause(until: backoff, reason: "no answer") }
        switch status {
        case 200..<300:
            return .read
        case 402:
            return .beyondRetention
        case 429:
            let reset = RateLimitHeaders.pause(headers, now: now)
            // A `Retry-After: 0` (or a date gone by) must not make the poller ask again at once.
            let until = max(named ?? reset ?? now.addingTimeInterval(60), now.addingTimeInterval(1))
            return .pause(until: until, reason: "rate limited (429)")
        case 401, 403:
            // The same key triggers; the relay holds Novu's lane and says so. Look again in a minute.
            return .pause(until: max(named ?? now, now.addingTimeInterval(60)), reason: "Novu refused the API key (\(status))")
        case 400..<500 where ![408, 409, 425].contains(status):
            return .refused(status: status)
        default:
            return .pause(until: named.map { max($0, backoff) } ?? backoff, reason: "HTTP \(status)")
        }
    }

    /// Requests per second allowed after an answer announcing `headers`: never above half of Novu's
    /// announced `RateLimit-Limit` (per `w=` seconds of `RateLimit-Policy`, else per second), so the
    /// poller leaves the triggers the larger part of the key's budget.
    package func requestsPerSecond(announced headers: [String: String]) -> Double {
        guard let limit = headers["ratelimit-limit"].flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }), limit > 0
        else { return maxRequestsPerSecond }
        var window = 1.0
        if let policy = headers["ratelimit-policy"] {
            for part in policy.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces)
                if pair.hasPrefix("w="), let seconds = Double(pair.dropFirst(2)), seconds > 0 { window = seconds }
            }
        }
        return min(maxRequestsPerSecond, limit / window / 2)
    }
}
