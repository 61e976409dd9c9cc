import Delivery
import Foundation

/// `--since` of `dlq` and `novu webhook recover`: a duration back from now (`6h`, `2d`) or an ISO 8601 time.
enum SinceText {
    static func parse(_ text: String, now: Date) -> Date? {
        if let duration = DurationText.parse(text) { return now.addingTimeInterval(-duration.timeInterval) }
        return try? Date(text.trimmingCharacters(in: .whitespaces), strategy: .iso8601)
    }
}
