import Foundation

extension FunnelReport {
    /// The report as `bridge report --format table` prints it: aligned columns, a header, a rule, one
    /// line per row, and a `TOTAL` line. Rates are percentages with one decimal (`n/a` when not
    /// available), times are human durations (`-` when nothing was measured).
    package func table() -> String {
        let columns = TextColumn.all(by: by)
        // With no grouping the one row is the total: print it once, under a label column.
        let labels = by.isEmpty ? [TextColumn.label] : []
        let header = labels.map(\.title) + columns.map(\.title)
        var body = rows.map { row in labels.map { _ in "" } + columns.map { $0.text(row) } }
        if by.isEmpty { body = [] }
        var total = labels.map { _ in "TOTAL" } + columns.map { $0.isDimension ? "" : $0.text(self.total) }
        if let first = columns.first, first.isDimension { total[0] = "TOTAL" }
        let numeric = labels.map { _ in false } + columns.map(\.isNumeric)
        var widths = header.map(\.count)
        for line in body + [total] {
            for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func render(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return numeric[index] ? padding + cell : cell + padding
            }
            var line = padded.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
        let rule = render(widths.map { String(repeating: "-", count: $0) })
        var lines = [render(header), rule] + body.map(render)
        if !body.isEmpty { lines.append(rule) }
        lines.append(render(total))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report as `bridge report --format csv` writes it (RFC 4180: CRLF line ends, a field quoted
    /// when it holds a comma, a quote or a line break). A header of snake_case names, then one line per
    /// row; no total line, which a spreadsheet would count twice. Rates are fractions with up to four
    /// decimals and empty when not available; times are seconds.
    package func csv() -> String {
        let columns = TextColumn.all(by: by)
        let lines = [columns.map(\.name)] + rows.map { row in columns.map { $0.raw(row) } }
        return lines.map { $0.map(Self.csvField).joined(separator: ",") + "\r\n" }.joined()
    }

    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// One column of the table and the CSV: its two names and how a row's value reads in each.
struct TextColumn: Sendable {
    /// The CSV header (snake_case).
    var name: String
    /// The table header.
    var title: String
    var isNumeric = true
    var isDimension = false
    var text: @Sendable (FunnelRow) -> String
    var raw: @Sendable (FunnelRow) -> String

    static let label = TextColumn(name: "", title: "", isNumeric: false, text: { _ in "" }, raw: { _ in "" })

    /// The grouped dimensions in `by` order, the stages, the rates, the times, then `maturing`.
    static func all(by: [FunnelDimension]) -> [TextColumn] {
        let dimensions = by.map { dimension in
            TextColumn(
                name: dimension.rawValue,
                title: dimension.rawValue,
                isNumeric: false,
                isDimension: true,
                text: { row in row.value(of: dimension).map(terminalSafe) ?? "-" },
                raw: { row in row.value(of: dimension) ?? "" }
            )
        }
        let stages = FunnelRow.stages.map { stage in
            TextColumn(name: stage, title: stage, text: { FunnelFormat.count($0.count(stage)) }, raw: { "\($0.count(stage))" })
        }
        let rateTitles = ["delivery", "open", "click", "click/open", "conversion", "failure"]
        let rates = FunnelRow().namedRates.enumerated().map { index, named in
            TextColumn(
                name: named.name + "_rate",
                title: rateTitles[index] + "%",
                text: { FunnelFormat.percent($0.namedRates[index].value) },
                raw: { row in row.namedRates[index].value.map { FunnelFormat.decimal($0, digits: 4) } ?? "" }
            )
        }
        let timeTitles = ["open_p50", "open_p90", "convert_p50", "convert_p90"]
        let times = FunnelRow().namedTimes.enumerated().map { index, named in
            TextColumn(
                name: named.name,
                title: timeTitles[index],
                text: { FunnelFormat.duration($0.namedTimes[index].value) },
                raw: { row in row.namedTimes[index].value.map { FunnelFormat.decimal($0, digits: 3) } ?? "" }
            )
        }
        let maturing = TextColumn(
            name: "maturing",
            title: "maturing",
            isNumeric: false,
            text: { $0.maturing ? "yes" : "no" },
            raw: { $0.maturing ? "yes" : "no" }
        )
        return dimensions + stages + rates + times + [maturing]
    }

    /// A workflow name comes from users: a control character in it must not move the terminal's cursor.
    static func terminalSafe(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
    }
}
