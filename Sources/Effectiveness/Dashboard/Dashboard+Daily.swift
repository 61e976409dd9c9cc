extension Dashboard {
    /// The daily chart's lines: a stage and its color.
    static let dailySeries: [(stage: String, color: String)] = [
        ("triggered", "#4b5563"), ("delivered", "#3d6fb4"), ("opened", "#3f9a7b"), ("converted", "#d08a2e"),
    ]

    /// Geometry of the daily chart, in the SVG's own units: the counts on top, the conversion rate
    /// below on its own scale (conversions are too few to read on the counts' one).
    enum DailyLayout {
        static let width = 1120.0
        static let left = 60.0
        static let right = 16.0
        static let top = 40.0
        static let plotHeight = 210.0
        static let panelTop = top + plotHeight + 36
        static let panelHeight = 64.0
        static let height = panelTop + panelHeight + 30
    }

    /// One line per stage over the days of the period, a y axis with round ticks, day labels thinned to
    /// about a dozen, the daily conversion rate under it, and a shaded band over the days whose
    /// conversions are still maturing.
    static func dailySVG(_ days: [FunnelRow]) -> String {
        typealias L = DailyLayout
        let plotWidth = L.width - L.left - L.right
        let plotHeight = L.plotHeight
        let largest = days.flatMap { day in dailySeries.map { day.count($0.stage) } }.max() ?? 0
        let (step, ceiling) = axis(largest)
        let spacing = days.count > 1 ? plotWidth / Double(days.count - 1) : plotWidth
        func x(_ index: Int) -> Double { days.count > 1 ? L.left + Double(index) * spacing : L.left + plotWidth / 2 }
        func y(_ value: Int) -> Double { L.top + plotHeight - Double(value) / Double(ceiling) * plotHeight }
        var parts: [String] = []
        // Maturing days: contiguous runs, each one band, drawn first so the lines stay on top.
        var index = 0
        while index < days.count {
            guard days[index].maturing else {
                index += 1
                continue
            }
            let start = index
            while index < days.count, days[index].maturing { index += 1 }
            let half = days.count > 1 ? spacing / 2 : plotWidth / 2
            let from = max(L.left, x(start) - half)
            let to = min(L.left + plotWidth, x(index - 1) + half)
            parts.append(
                "<g class=\"maturing-band\"><title>\(HTML.escape(maturingNote))</title>"
                    + "<rect x=\"\(n(from))\" y=\"\(n(L.top))\" width=\"\(n(to - from))\" height=\"\(n(L.panelTop + L.panelHeight - L.top))\"/>"
                    + "<text x=\"\(n((from + to) / 2))\" y=\"\(n(L.top + 14))\" text-anchor=\"middle\">maturing</text></g>"
            )
        }
        parts += conversionPanel(days, x: x, barWidth: min(22, spacing * 0.42))
        var tick = 0
        while tick <= ceiling {
            let tickY = n(y(tick).rounded() + 0.5)
            parts.append("<line class=\"grid\" x1=\"\(n(L.left))\" x2=\"\(n(L.left + plotWidth))\" y1=\"\(tickY)\" y2=\"\(tickY)\"/>")
            parts.append(
                "<text class=\"tick\" x=\"\(n(L.left - 8))\" y=\"\(n(y(tick) + 4))\" text-anchor=\"end\">\(FunnelFormat.count(tick))</text>"
            )
            tick += step
        }
        let every = max(1, Int((Double(days.count) / 12).rounded(.up)))
        for (index, day) in days.enumerated() where (days.count - 1 - index) % every == 0 {
            let label = HTML.escape(shortDay(day.day ?? ""))
            parts.append("<text class=\"tick\" x=\"\(n(x(index)))\" y=\"\(n(L.height - 10))\" text-anchor=\"middle\">\(label)</text>")
        }
        for series in dailySeries {
            let points = days.enumerated().map { "\(n(x($0.offset))),\(n(y($0.element.count(series.stage))))" }
            parts.append(
                "<polyline class=\"series\" data-stage=\"\(series.stage)\" points=\"\(points.joined(separator: " "))\" "
                    + "stroke=\"\(series.color)\"/>"
            )
            guard days.count <= 45 else { continue }
            for (index, day) in days.enumerated() {
                let tip = "\(day.day ?? "") · \(series.stage) \(FunnelFormat.count(day.count(series.stage)))"
                parts.append(
                    "<circle cx=\"\(n(x(index)))\" cy=\"\(n(y(day.count(series.stage))))\" r=\"3\" fill=\"\(series.color)\">"
                        + "<title>\(HTML.escape(tip))</title></circle>"
                )
            }
        }
        var legendX = L.left
        for series in dailySeries {
            parts.append(
                "<line x1=\"\(n(legendX))\" x2=\"\(n(legendX + 18))\" y1=\"14\" y2=\"14\" stroke=\"\(series.color)\" stroke-width=\"3\"/>"
                    + "<text class=\"legend\" x=\"\(n(legendX + 24))\" y=\"18\">\(series.stage)</text>"
            )
            legendX += 34 + Double(series.stage.count) * 7.5
        }
        return """
            <svg id="daily" viewBox="0 0 \(n(L.width)) \(n(L.height))" width="100%" role="img" \
            aria-label="Triggered, delivered, opened and converted per day">
            \(parts.joined(separator: "\n"))
            </svg>
            """
    }

    /// The daily conversion rate as bars on a scale of its own, labelled when there is room.
    static func conversionPanel(_ days: [FunnelRow], x: (Int) -> Double, barWidth: Double) -> [String] {
        typealias L = DailyLayout
        let largest = days.compactMap(\.rates.conversion).max() ?? 0
        let top = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5].first { $0 >= largest } ?? 1
        let bottom = L.panelTop + L.panelHeight
        var parts = [
            "<text class=\"panel-title\" x=\"\(n(L.left))\" y=\"\(n(L.panelTop - 12))\">conversion rate</text>",
            "<line class=\"grid\" x1=\"\(n(L.left))\" x2=\"\(n(L.width - L.right))\" y1=\"\(n(L.panelTop + 0.5))\" y2=\"\(n(L.panelTop + 0.5))\"/>",
            "<line class=\"axis\" x1=\"\(n(L.left))\" x2=\"\(n(L.width - L.right))\" y1=\"\(n(bottom + 0.5))\" y2=\"\(n(bottom + 0.5))\"/>",
            "<text class=\"tick\" x=\"\(n(L.left - 8))\" y=\"\(n(L.panelTop + 4))\" text-anchor=\"end\">"
                + "\(FunnelFormat.decimal(top * 100, digits: 1))%</text>",
            "<text class=\"tick\" x=\"\(n(L.left - 8))\" y=\"\(n(bottom + 4))\" text-anchor=\"end\">0%</text>",
        ]
        for (index, day) in days.enumerated() {
            guard let rate = day.rates.conversion else { continue }
            let height = rate / top * L.panelHeight
            let tip = "\(day.day ?? "") · conversion rate \(FunnelFormat.percent(rate))" + (day.maturing ? " (maturing)" : "")
            parts.append(
                "<rect class=\"rate-bar\" x=\"\(n(x(index) - barWidth / 2))\" y=\"\(n(bottom - height))\" width=\"\(n(barWidth))\" "
                    + "height=\"\(n(height))\" rx=\"2\"><title>\(HTML.escape(tip))</title></rect>"
            )
            if days.count <= 16 {
                parts.append(
                    "<text class=\"rate-label\" x=\"\(n(x(index)))\" y=\"\(n(bottom - height - 4))\" text-anchor=\"middle\">"
                        + "\(FunnelFormat.percent(rate))</text>"
                )
            }
        }
        return parts
    }

    /// A round tick step (1, 2 or 5 times a power of ten) giving about four ticks, and the axis top it
    /// reaches. An empty series still gets an axis, 0 to 1.
    static func axis(_ largest: Int) -> (step: Int, ceiling: Int) {
        guard largest > 0 else { return (1, 1) }
        let rough = Double(largest) / 4
        var magnitude = 1
        while Double(magnitude) * 10 <= rough { magnitude *= 10 }
        let step = [1, 2, 5, 10].map { $0 * magnitude }.first { Double($0) >= rough } ?? magnitude * 10
        let ceiling = Int((Double(largest) / Double(step)).rounded(.up)) * step
        return (step, ceiling)
    }
}
