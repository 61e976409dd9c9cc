import Delivery
import Foundation

extension FunnelReport {
    /// Builds the report of `facts` for `from..<to`. Cohorts are by trigger time (first sight for a
    /// message of a transaction the bridge did not trigger). `window` gives a workflow's conversion
    /// window, `nil` when no conversion counts for it; a cohort younger than it is `maturing`. Pure.
    package static func build(
        _ facts: FunnelFacts,
        from: Date,
        to: Date,
        by: [FunnelDimension],
        now: Date,
        window: (String) -> TimeInterval?
    ) -> FunnelReport {
        let triggers = Dictionary(facts.triggers.map { ($0.transactionId, $0) }, uniquingKeysWith: { first, _ in first })
        var entries: [Entry] = facts.messages.map { message in
            let trigger = triggers[message.transactionId]
            return Entry(
                transactionId: message.transactionId,
                workflow: trigger?.workflow ?? message.workflow,
                cohort: trigger?.triggeredAt ?? message.firstSeenAt,
                bridgeTriggered: trigger != nil,
                message: message
            )
        }
        // A trigger with no message yet still counts as triggered, in no channel.
        let withMessages = Set(facts.messages.map(\.transactionId))
        for trigger in facts.triggers where !withMessages.contains(trigger.transactionId) {
            entries.append(
                Entry(
                    transactionId: trigger.transactionId,
                    workflow: trigger.workflow,
                    cohort: trigger.triggeredAt,
                    bridgeTriggered: true,
                    message: nil
                )
            )
        }
        func summarize(_ group: [Entry], key: GroupKey) -> FunnelRow {
            var row = Tally()
            for entry in group { row.add(entry) }
            let maturing = group.contains { entry in
                guard entry.bridgeTriggered, let window = window(entry.workflow) else { return false }
                return entry.cohort.addingTimeInterval(window) > now
            }
            return row.row(key: key, maturing: maturing)
        }
        let grouped = Dictionary(grouping: entries) { GroupKey(entry: $0, by: by) }
        let rows = grouped.map { summarize($1, key: $0) }.sorted { GroupKey(row: $0) < GroupKey(row: $1) }
        let total = summarize(entries, key: GroupKey())
        let byDay = Dictionary(grouping: entries) { Day.text($0.cohort) }
        let daily = Day.range(from: from, to: to).map { day in summarize(byDay[day] ?? [], key: GroupKey(day: day)) }
        var failures: [String: [String: Int]] = [:]
        for entry in entries {
            guard let message = entry.message, message.failedAt != nil else { continue }
            failures[message.failure ?? "unknown", default: [:]][message.channel, default: 0] += 1
        }
        let failureCounts =
            failures.flatMap { reason, channels in channels.map { FailureCount(reason: reason, channel: $0.key, count: $0.value) } }
            .sorted { ($0.count, $1.reason, $1.channel) > ($1.count, $0.reason, $0.channel) }
        return FunnelReport(
            from: from,
            to: to,
            generatedAt: now,
            by: by,
            rows: rows,
            total: total,
            daily: daily,
            failures: Array(failureCounts.prefix(10))
        )
    }

    /// One message (or a trigger with none yet) in its cohort.
    struct Entry {
        var transactionId: String
        var workflow: String
        var cohort: Date
        var bridgeTriggered: Bool
        var message: FunnelMessage?
    }

    /// The values of one group; `nil` for dimensions not grouped by (and for the channel of a trigger
    /// with no message yet).
    struct GroupKey: Hashable, Comparable {
        var workflow: String?
        var channel: String?
        var provider: String?
        var day: String?

        init(workflow: String? = nil, channel: String? = nil, provider: String? = nil, day: String? = nil) {
            self.workflow = workflow
            self.channel = channel
            self.provider = provider
            self.day = day
        }

        init(entry: Entry, by: [FunnelDimension]) {
            self.init()
            for dimension in by {
                switch dimension {
                case .workflow: workflow = entry.workflow
                case .channel: channel = entry.message?.channel
                case .provider: provider = entry.message?.provider
                case .day: day = Day.text(entry.cohort)
                }
            }
        }

        init(row: FunnelRow) {
            self.init(workflow: row.workflow, channel: row.channel, provider: row.provider, day: row.day)
        }

        static func < (a: GroupKey, b: GroupKey) -> Bool {
            (a.day ?? "", a.workflow ?? "", a.channel ?? "", a.provider ?? "") < (
                b.day ?? "", b.workflow ?? "", b.channel ?? "", b.provider ?? ""
            )
        }
    }

    /// A group's counts, gathered entry by entry.
    struct Tally {
        var triggered: Set<String> = []
        var converted: Set<String> = []
        var counts = FunnelCounts()
        var toOpen: [Double] = []
        var toConvert: [Double] = []

        mutating func add(_ entry: Entry) {
            if entry.bridgeTriggered { triggered.insert(entry.transactionId) }
            guard let message = entry.message else { return }
            counts.sent += 1
            if message.deliveredAt != nil { counts.delivered += 1 }
            if message.openedAt != nil { counts.opened += 1 }
            if message.clickedAt != nil { counts.clicked += 1 }
            if message.failedAt != nil { counts.failed += 1 }
            if FunnelCounts.reports(delivery: message.channel) {
                counts.sentReportingDelivery += 1
                if message.deliveredAt != nil { counts.deliveredReportingDelivery += 1 }
            }
            if FunnelCounts.reports(opens: message.channel), message.deliveredAt != nil {
                counts.deliveredReportingOpens += 1
                if message.openedAt != nil { counts.openedReportingOpens += 1 }
                if message.clickedAt != nil { counts.clickedReportingOpens += 1 }
            }
            let start = message.windowStart ?? message.firstSeenAt
            if let opened = message.openedAt {
                toOpen.append(max(0, opened.timeIntervalSince(start)))
            }
            if let convertedAt = message.convertedAt {
                converted.insert(entry.transactionId)
                toConvert.append(max(0, convertedAt.timeIntervalSince(start)))
            }
        }

        func row(key: GroupKey, maturing: Bool) -> FunnelRow {
            var counts = counts
            counts.triggered = triggered.count
            counts.converted = converted.count
            return FunnelRow(
                workflow: key.workflow,
                channel: key.channel,
                provider: key.provider,
                day: key.day,
                counts: counts,
                rates: counts.rates,
                times: FunnelTimes(
                    medianToOpen: Self.percentile(toOpen, 0.5),
                    p90ToOpen: Self.percentile(toOpen, 0.9),
                    medianToConvert: Self.percentile(toConvert, 0.5),
                    p90ToConvert: Self.percentile(toConvert, 0.9)
                ),
                maturing: maturing
            )
        }

        /// Nearest-rank percentile; `nil` for no values.
        static func percentile(_ values: [Double], _ fraction: Double) -> Double? {
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            let rank = Int((fraction * Double(sorted.count)).rounded(.up))
            return sorted[min(max(rank, 1), sorted.count) - 1]
        }
    }
}

/// Days as the report names them: `2026-12-06`, UTC.
enum Day {
    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func text(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// Every day from `from`'s to the one before `to` (at most 366).
    static func range(from: Date, to: Date) -> [String] {
        var days: [String] = []
        var day = calendar.startOfDay(for: from)
        while day < to, days.count < 366 {
            days.append(text(day))
            day = calendar.date(byAdding: .day, value: 1, to: day) ?? to
        }
        return days
    }
}
