import Foundation

/// Durations as operators write them: `500ms`, `30s`, `5m`, `24h`, `7d`; a bare number is seconds.
package enum DurationText {
    /// The largest whole unit that fits: `24h`, `90s`, `250ms`.
    package static func format(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        for (suffix, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60000), ("s", 1000)] where ms >= size && ms % size == 0 {
            return "\(ms / size)\(suffix)"
        }
        return "\(ms)ms"
    }

    /// No setting needs more; a larger number (`1e20`) would not fit the milliseconds it is counted in.
    package static let longest = Duration.seconds(100 * 365 * 86400)

    package static func parse(_ text: String) -> Duration? {
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let unit = units.first { trimmed.hasSuffix($0.suffix) }
        guard let number = Double(unit.map { trimmed.dropLast($0.suffix.count) } ?? Substring(trimmed)), number >= 0 else {
            return nil
        }
        let milliseconds = number * (unit?.seconds ?? 1) * 1000
        guard milliseconds.isFinite, milliseconds <= Double(longest.components.seconds) * 1000 else { return nil }
        return .milliseconds(Int64(milliseconds.rounded()))
    }
}

/// Sizes as operators write them: `500MB`, `10GB`, `2GiB`, `64KiB`, or a bare number of bytes.
package enum ByteSizeText {
    package static func parse(_ text: String) -> Int64? {
        let units: [(suffix: String, bytes: Double)] = [
            ("kib", 1024), ("mib", 1024 * 1024), ("gib", 1024 * 1024 * 1024), ("tib", 1024 * 1024 * 1024 * 1024),
            ("kb", 1e3), ("mb", 1e6), ("gb", 1e9), ("tb", 1e12), ("b", 1),
        ]
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let unit = units.first { trimmed.hasSuffix($0.suffix) }
        let number = unit.map { trimmed.dropLast($0.suffix.count) } ?? Substring(trimmed)
        guard let value = Double(number.trimmingCharacters(in: .whitespaces)), value >= 0 else { return nil }
        let bytes = value * (unit?.bytes ?? 1)
        guard bytes.isFinite, bytes < 9e18 else { return nil }
        return Int64(bytes.rounded())
    }

    /// `1.5 GB`-style text for messages.
    package static func format(_ bytes: Int64) -> String {
        for (suffix, size) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)] where Double(bytes) >= size {
            return String(format: "%.1f %@", Double(bytes) / size, suffix)
        }
        return "\(bytes) B"
    }
}
