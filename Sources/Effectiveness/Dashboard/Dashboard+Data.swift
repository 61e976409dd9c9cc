extension Dashboard {
    /// A workflow's block in the funnel chart: one series per channel, each an exact row of the report.
    struct WorkflowFunnel {
        /// `nil` when the report is not grouped by workflow: the block then stands for all of them.
        var workflow: String?
        /// One per channel (or one with no channel when the report is not grouped by channel).
        var series: [FunnelRow]
        /// Triggers with no message yet: they count as triggered in no channel.
        var waiting: Int
        var maturing: Bool

        /// For ordering blocks, busiest first. Not a count to show: a transaction with messages in two
        /// channels is in both series, so no sum of them is exact.
        var volume: Int { (series.map(\.counts.triggered).max() ?? 0) + waiting }
    }

    /// The funnel chart's blocks. Rows are folded only across days and providers, never across
    /// channels: a transaction counts once per channel it reached, so a sum over channels would count
    /// it twice, and the chart shows each channel's own bars instead.
    static func workflowFunnels(_ report: FunnelReport) -> [WorkflowFunnel] {
        let byChannel = report.by.contains(.channel)
        let workflows = Dictionary(grouping: report.rows, by: \.workflow)
        let funnels = workflows.map { workflow, rows in
            let sent = byChannel ? rows.filter { $0.channel != nil } : rows
            let waiting = byChannel ? rows.filter { $0.channel == nil }.map(\.counts.triggered).reduce(0, +) : 0
            return WorkflowFunnel(
                workflow: workflow,
                series: channelRows(sent),
                waiting: waiting,
                maturing: rows.contains(where: \.maturing)
            )
        }
        return funnels.sorted { ($0.volume, $1.workflow ?? "") > ($1.volume, $0.workflow ?? "") }
    }

    /// One row per channel for the rates table, folded across workflows (a transaction belongs to one
    /// workflow, so these sums are exact). A report not grouped by channel gives its total.
    static func channelRates(_ report: FunnelReport) -> [FunnelRow] {
        guard report.by.contains(.channel) else { return [report.total] }
        return channelRows(report.rows.filter { $0.channel != nil })
    }

    /// Folds `rows` by channel, channels in a fixed order (email, push, sms, in_app, chat, then others).
    static func channelRows(_ rows: [FunnelRow]) -> [FunnelRow] {
        let grouped = Dictionary(grouping: rows, by: \.channel)
        return grouped.map { channel, rows in
            var row = merged(rows)
            row.channel = channel
            return row
        }
        .sorted { (channelRank($0.channel), $0.channel ?? "") < (channelRank($1.channel), $1.channel ?? "") }
    }

    static func channelRank(_ channel: String?) -> Int {
        ["email", "push", "sms", "in_app", "chat"].firstIndex(of: channel ?? "") ?? 5
    }

    /// Rows summed, with the rates recomputed from the sums (`FunnelCounts.rates`). Times are percentiles,
    /// which do not add up: a merge of several rows has none.
    static func merged(_ rows: [FunnelRow]) -> FunnelRow {
        guard rows.count != 1 else { return rows[0] }
        let counts = rows.map(\.counts).reduce(FunnelCounts(), +)
        return FunnelRow(
            workflow: rows.first?.workflow,
            counts: counts,
            rates: counts.rates,
            maturing: rows.contains(where: \.maturing)
        )
    }
}
