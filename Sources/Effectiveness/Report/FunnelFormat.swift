import Foundation

/// How the report's numbers read to a person, in the table and on the page. One place, so `bridge report`
/// and the dashboard never disagree on what "n/a" or "3.2h" means.
enum FunnelFormat {
    /// `66.7%`; `n/a` when the rate is not available (never `0.0%`: unknown is not zero).
    static func percent(_ rate: Double?) -> String {
        guard let rate, rate.isFinite else { return "n/a" }
        return String(format: "%.1f%%", rate * 100)
    }

    /// `42s`, `5m`, `3.2h`, `2.1d`; `-` when nothing was measured. Each unit takes over where the one
    /// below would round up to its next step, so 59.6 s reads `1m`, not `60s`.
    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "-" }
        let value = max(0, seconds)
        if value.rounded() < 60 { return "\(Int(value.rounded()))s" }
        if (value / 60).rounded() < 60 { return "\(Int((value / 60).rounded()))m" }
        if (value / 360).rounded() < 240 { return String(format: "%.1fh", value / 3600) }
        return String(format: "%.1fd", value / 86400)
    }

    /// `12,480`: thousands grouped, whatever the machine's locale.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// At most `digits` decimals, trailing zeros dropped: `0.6667`, `0.75`, `1`.
    static func decimal(_ value: Double, digits: Int) -> String {
        var text = String(format: "%.\(digits)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}
