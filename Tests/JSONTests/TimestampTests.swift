import Foundation
import JSON
import Testing

/// ISO 8601 timestamps read by hand, against Foundation's reading of the same text.
@Suite("Timestamps")
struct TimestampTests {
    @Test(
        "reads what Segment and Novu write, as Foundation does",
        arguments: [
            "2026-12-06T10:00:00Z", "2026-12-06T10:00:00.123Z", "2026-12-06T10:00:00.5+01:00", "1999-02-28T23:59:59-0530",
            "2000-02-29T00:00:00Z", "2024-12-31T23:59:59.999999Z", "1970-01-01T00:00:00Z",
        ]
    )
    func agrees(text: String) throws {
        let expected = try #require(
            (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) ?? (try? Date(text, strategy: .iso8601))
                ?? (try? Date(text.replacingOccurrences(of: "-0530", with: "-05:30"), strategy: .iso8601))
        )
        let read = try #require(Timestamp.parse(text))
        #expect(abs(read.timeIntervalSince(expected)) < 0.001)
    }

    @Test(
        "refuses what is not a whole timestamp",
        arguments: [
            "", "2026-12-06", "2026-12-06T10:00:00", "2026-13-06T10:00:00Z", "2026-12-06T10:00:00.Z", "2026-12-06T10:00:00Zjunk",
            "yesterday",
        ]
    )
    func refuses(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test(
        "writes UTC with milliseconds, and reads back what it wrote",
        arguments: [0.0, 1_796_000_000.123, 951_782_400, 4_102_444_799.999, -86_400.5]
    )
    func format(seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds)
        let text = Timestamp.format(date)
        // To the second as Foundation writes it; the milliseconds may differ by the double's last bit.
        let foundation = date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        #expect(text.prefix(20) == foundation.prefix(20))
        #expect(text.count == 24 && text.hasSuffix("Z"))
        let back = try #require(Timestamp.parse(text))
        #expect(abs(back.timeIntervalSince(date)) < 0.001)
    }
}
