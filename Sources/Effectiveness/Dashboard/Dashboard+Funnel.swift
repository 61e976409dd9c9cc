extension Dashboard {
    /// The stages the funnel chart draws, in order (`failed` is in the tables, not a stage one reaches).
    static let funnelStages = ["triggered", "sent", "delivered", "opened", "clicked", "converted"]

    /// Geometry of the funnel chart, in the SVG's own units (it scales to the card's width).
    enum FunnelLayout {
        static let width = 1120.0
        static let columnGap = 48.0
        static let rowGap = 28.0
        static let header = 30.0
        static let labelWidth = 78.0
        static let valueWidth = 104.0
        static let stageGap = 11.0
        static let waitingNote = 20.0
    }

    /// One block per workflow, two to a row, each with a row of bars per stage and a bar per channel in
    /// each row. Every block has its own scale: the labels carry the absolute numbers.
    static func funnelSVG(_ funnels: [WorkflowFunnel], since: String) -> String {
        typealias L = FunnelLayout
        let columns = funnels.count > 1 ? 2 : 1
        let blockWidth = (L.width - L.columnGap * Double(columns - 1)) / Double(columns)
        var blocks: [String] = []
        var y = 0.0
        var index = 0
        while index < funnels.count {
            let row = funnels[index..<min(index + columns, funnels.count)]
            var rowHeight = 0.0
            for (column, funnel) in row.enumerated() {
                let x = Double(column) * (blockWidth + L.columnGap)
                let (markup, height) = funnelBlock(funnel, x: x, y: y, width: blockWidth, since: since)
                blocks.append(markup)
                rowHeight = max(rowHeight, height)
            }
            y += rowHeight + L.rowGap
            index += columns
        }
        let height = max(y - L.rowGap, 1)
        return """
            <svg id="funnel" viewBox="0 0 \(n(L.width)) \(n(height))" \
            width="100%" role="img" aria-label="Funnel per workflow">
            \(blocks.joined(separator: "\n"))
            </svg>
            """
    }

    /// One workflow's block at (`x`, `y`); returns its markup and height.
    static func funnelBlock(_ funnel: WorkflowFunnel, x: Double, y: Double, width: Double, since: String) -> (String, Double) {
        typealias L = FunnelLayout
        let series = funnel.series.isEmpty ? [FunnelRow(workflow: funnel.workflow)] : funnel.series
        // Each bar's value label is 11 px tall: the bars of a stage never come closer than that.
        let barHeight = [1: 16.0, 2: 12.0, 3: 10.0][series.count] ?? 9.0
        let barGap = 3.0
        let stageHeight = Double(series.count) * barHeight + Double(series.count - 1) * barGap
        let barMax = width - L.labelWidth - L.valueWidth
        let largest = max(1, series.flatMap { row in funnelStages.map { row.count($0) } }.max() ?? 1)
        var parts: [String] = []
        let name = funnel.workflow.map(HTML.escape) ?? "All workflows"
        if let workflow = funnel.workflow {
            parts.append(
                "<a href=\"\(HTML.href(since: since, workflow: workflow))\"><text class=\"workflow\" x=\"0\" y=\"16\">\(name)</text></a>"
            )
        } else {
            parts.append("<text class=\"workflow\" x=\"0\" y=\"16\">\(name)</text>")
        }
        if funnel.maturing {
            parts.append(
                "<g class=\"badge\" transform=\"translate(\(n(width - 70)) 3)\"><title>\(HTML.escape(maturingNote))</title>"
                    + "<rect width=\"70\" height=\"18\" rx=\"9\"/><text x=\"35\" y=\"13\" text-anchor=\"middle\">maturing</text></g>"
            )
        }
        parts.append("<line class=\"rule\" x1=\"0\" x2=\"\(n(width))\" y1=\"24.5\" y2=\"24.5\"/>")
        var top = L.header + 4
        for stage in funnelStages {
            parts.append(
                "<text class=\"stage\" x=\"0\" y=\"\(n(top + stageHeight / 2 + 4))\">\(stage)</text>"
            )
            // A stage no channel reached (no conversion goal, say) reads as one 0, not one per channel.
            guard series.contains(where: { $0.count(stage) > 0 }) else {
                parts.append(
                    "<text class=\"value\" x=\"\(n(L.labelWidth + 4))\" y=\"\(n(top + stageHeight / 2 + 3.5))\">"
                        + "<title>\(stage): none, in every channel</title>0</text>"
                )
                top += stageHeight + L.stageGap
                continue
            }
            for (offset, row) in series.enumerated() {
                let barTop = top + Double(offset) * (barHeight + barGap)
                parts.append(funnelBar(row, stage: stage, x: L.labelWidth, y: barTop, height: barHeight, scale: barMax / Double(largest)))
            }
            top += stageHeight + L.stageGap
        }
        if funnel.waiting > 0 {
            parts.append(
                "<text class=\"note\" x=\"\(n(L.labelWidth))\" y=\"\(n(top + 8))\">+ \(FunnelFormat.count(funnel.waiting)) "
                    + "triggered with no message yet</text>"
            )
            top += L.waitingNote
        }
        let attribute = funnel.workflow.map { " data-workflow=\"\(HTML.escape($0))\"" } ?? ""
        let markup = "<g class=\"block\"\(attribute) transform=\"translate(\(n(x)) \(n(y)))\">\n\(parts.joined(separator: "\n"))\n</g>"
        return (markup, top - L.stageGap)
    }

    /// One channel's bar for one stage, its value after it and the details in its tooltip.
    static func funnelBar(_ row: FunnelRow, stage: String, x: Double, y: Double, height: Double, scale: Double) -> String {
        let value = row.count(stage)
        let length = value > 0 ? max(2, Double(value) * scale) : 0
        var label = FunnelFormat.count(value)
        if stage == "converted", value > 0 { label += " · \(FunnelFormat.percent(row.rates.conversion))" }
        let tip = "\(channelName(row.channel)) · \(stage) \(FunnelFormat.count(value))" + stageNote(stage, row)
        return "<g><title>\(HTML.escape(tip))</title>"
            + "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(length))\" height=\"\(n(height))\" rx=\"2\" fill=\"\(channelColor(row.channel))\"/>"
            + "<text class=\"value\" x=\"\(n(x + length + 6))\" y=\"\(n(y + height / 2 + 3.5))\">\(label)</text></g>"
    }

    /// The rate a stage's bar stands for, for its tooltip.
    static func stageNote(_ stage: String, _ row: FunnelRow) -> String {
        let rate: (String, Double?)? =
            switch stage {
            case "delivered": ("delivery rate", row.rates.delivery)
            case "opened": ("open rate", row.rates.open)
            case "clicked": ("click rate", row.rates.click)
            case "converted": ("conversion rate", row.rates.conversion)
            default: nil
            }
        var note = rate.map { " (\($0.0) \(FunnelFormat.percent($0.1)))" } ?? ""
        if stage == "opened", row.times.medianToOpen != nil { note += ", median \(FunnelFormat.duration(row.times.medianToOpen)) to open" }
        if stage == "converted", row.times.medianToConvert != nil {
            note += ", median \(FunnelFormat.duration(row.times.medianToConvert)) to convert"
        }
        return note
    }

    /// A coordinate as SVG takes it: at most one decimal.
    static func n(_ value: Double) -> String {
        FunnelFormat.decimal(value, digits: 1)
    }
}
