import Foundation

/// ISO 8601 timestamps as Segment and Novu write them (`2026-12-06T10:00:00.123Z`, `…+01:00`), read by
/// hand: Foundation's `ISO8601FormatStyle` parse cost ~15 µs an event, on every feedback event. Pure.
package enum Timestamp {
    /// The date, or `nil` for anything but `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)`.
    package static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes in
            var reader = Reader(bytes: bytes)
            return reader.date()
        }
    }

    /// A cursor over the text's bytes: indexing a buffer, not slicing a view, since every feedback event
    /// parses one.
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        var next: UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func number(_ digits: Int) -> Int? {
            var value = 0
            for _ in 0..<digits {
                guard let byte = next, byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
                position += 1
            }
            return value
        }

        mutating func expect(_ character: UInt8) -> Bool {
            guard next == character else { return false }
            position += 1
            return true
        }

        mutating func date() -> Date? {
            guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2),
                expect(0x54) || expect(0x74) || expect(0x20), let hour = number(2), expect(0x3A), let minute = number(2),
                expect(0x3A), let second = number(2),
                (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
            else { return nil }
            var fraction = 0.0
            if expect(0x2E) {
                var scale = 0.1
                var digits = 0
                while let byte = next, byte >= 0x30, byte <= 0x39 {
                    fraction += Double(byte - 0x30) * scale
                    scale /= 10
                    digits += 1
                    position += 1
                }
                guard digits > 0 else { return nil }
            }
            guard let offset = zoneOffset(), position == bytes.count else { return nil }
            let seconds = Timestamp.daysFromCivil(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second - offset
            return Date(timeIntervalSince1970: Double(seconds) + fraction)
        }

        /// `Z` (0), or `±HH:MM` / `±HHMM` in seconds east of UTC.
        mutating func zoneOffset() -> Int? {
            if expect(0x5A) || expect(0x7A) { return 0 }
            guard let sign = next, sign == 0x2B || sign == 0x2D else { return nil }
            position += 1
            guard let hours = number(2) else { return nil }
            _ = expect(0x3A)
            guard let minutes = number(2), hours < 24, minutes < 60 else { return nil }
            return (hours * 3600 + minutes * 60) * (sign == 0x2B ? 1 : -1)
        }
    }

    /// `2026-12-06T10:00:00.123Z` (UTC, milliseconds), as Segment's libraries write `timestamp`.
    package static func format(_ date: Date) -> String {
        let milliseconds = Int((date.timeIntervalSince1970 * 1000).rounded(.down))
        let (days, rest) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        let (dayOffset, msOfDay) = rest < 0 ? (days - 1, rest + 86_400_000) : (days, rest)
        let (year, month, day) = civil(fromDays: dayOffset)
        let hour = msOfDay / 3_600_000
        let minute = msOfDay / 60000 % 60
        let second = msOfDay / 1000 % 60
        let fraction = msOfDay % 1000
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(fraction, 3))Z"
    }

    /// The date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }
}
