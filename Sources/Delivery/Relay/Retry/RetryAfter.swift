import Foundation

/// Reads a `Retry-After` header: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
package enum RetryAfter {
    /// The furthest a destination's header can push a retry or a pause. An event is given up as `expired`
    /// 24 h after its first attempt by default, so a later time is of no use; and a huge one (`Retry-After:
    /// 9223372036854775807`, `RateLimit-Reset: inf`) would overflow the lane's sleep.
    package static let longest: TimeInterval = 24 * 3600

    /// The moment the header names (at most `longest` from `now`), or `nil` when it is absent or unreadable.
    package static func parse(_ value: String?, now: Date) -> Date? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 {
            return now.addingTimeInterval(min(TimeInterval(seconds), longest))
        }
        return httpDate(value).map { min($0, now.addingTimeInterval(longest)) }
    }

    /// Parses the IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`).
    static func httpDate(_ value: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value)
    }
}
