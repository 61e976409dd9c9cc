import Foundation

/// What the dashboard was asked for: the query of `GET /dashboard`, echoed into its links and form.
package struct DashboardQuery: Sendable, Equatable {
    /// The period as the user gave it (`7d`); the links keep it as it is.
    package var since: String
    /// The workflow the report is restricted to, if any.
    package var workflow: String?

    package init(since: String = "7d", workflow: String? = nil) {
        self.since = since
        self.workflow = workflow
    }
}

/// `GET /dashboard` (DESIGN §11): the funnel report as one self-contained HTML page. Charts are SVG drawn
/// here; the page has no script and names no host, so it loads nothing from anywhere, and every link is
/// a query string on the page itself.
package enum Dashboard {
    /// The periods the page offers.
    package static let periods = ["1d", "7d", "30d", "90d"]

    /// The report grouping the page reads best: a funnel per workflow with a bar per channel, and the
    /// rates per channel. Other groupings render too, with less detail.
    package static let dimensions: [FunnelDimension] = [.workflow, .channel]

    /// The page for `report`. The report is expected to be restricted to `query.workflow` already (the
    /// totals and the daily series come from it); the page only shows the filter and how to clear it.
    /// Pure: the same report and query give the same bytes.
    package static func page(_ report: FunnelReport, query: DashboardQuery) -> String {
        let title = "Notification effectiveness"
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer">
            <title>\(HTML.escape("\(title) · \(periodName(query.since))"))</title>
            <style>\(style)</style>
            </head>
            <body>
            <main>
            \(header(report, query: query, title: title))
            """
        if isEmpty(report) {
            html += """
                <section class="card empty" id="empty">
                <p class="empty-title">No notifications triggered in this period.</p>
                <p class="muted">Triggers the bridge sends to Novu appear here once Novu acknowledges them. \
                Try a longer period\(query.workflow == nil ? "" : " or all workflows").</p>
                </section>
                """
        } else {
            html += headline(report)
            html += funnelSection(report, query: query)
            html += "<div class=\"columns\">\n" + channelSection(report) + failureSection(report) + "</div>\n"
            html += dailySection(report)
        }
        html += footer(report)
        html += "</main>\n</body>\n</html>\n"
        return html
    }

    /// Nothing triggered and nothing sent: no chart would have a bar.
    static func isEmpty(_ report: FunnelReport) -> Bool {
        report.total.counts.triggered == 0 && report.total.counts.sent == 0
    }

    /// `7d` as a person says it: "last 7 days". An unusual period is shown as given.
    static func periodName(_ since: String) -> String {
        guard let unit = since.last, let count = Int(since.dropLast()), count > 0 else { return "since \(since)" }
        let names: [Character: (String, String)] = ["h": ("hour", "hours"), "d": ("day", "days"), "w": ("week", "weeks")]
        guard let (one, many) = names[unit] else { return "since \(since)" }
        return count == 1 ? "last \(one)" : "last \(count) \(many)"
    }

    /// `2026-11-30 00:53 UTC`.
    static func timestamp(_ date: Date) -> String {
        let parts = Day.calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d UTC",
            parts.year ?? 0,
            parts.month ?? 0,
            parts.day ?? 0,
            parts.hour ?? 0,
            parts.minute ?? 0
        )
    }

    /// `Nov 30` for `2026-11-30`; the text as given when it is not such a day.
    static func shortDay(_ day: String) -> String {
        let parts = day.split(separator: "-")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 3, let month = Int(parts[1]), (1...12).contains(month), let date = Int(parts[2]) else { return day }
        return "\(months[month - 1]) \(date)"
    }

    /// A channel's name as the page shows it.
    static func channelName(_ channel: String?) -> String {
        switch channel {
        case nil: "all channels"
        case "in_app": "in-app"
        case "sms": "SMS"
        case let channel?: channel
        }
    }

    /// The channel's color in every chart: restrained, distinct for the usual five, grey for others.
    static func channelColor(_ channel: String?) -> String {
        switch channel {
        case "email": "#3d6fb4"
        case "push": "#d08a2e"
        case "sms": "#8a62b5"
        case "in_app": "#3f9a7b"
        case "chat": "#c25b6a"
        default: "#7b8494"
        }
    }

    static let maturingNote =
        "Some triggers are younger than their conversion window: conversions may still come, so the conversion rate can still rise."
}
