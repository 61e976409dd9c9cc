import Delivery
import Foundation

/// What `bridge report`, `GET /report` and `GET /dashboard` show: the funnel of the triggers of a period,
/// grouped (DESIGN §11). A value: built from the store's facts by `FunnelReport.build`, rendered as a
/// table, CSV, JSON or a page.
package struct FunnelReport: Sendable, Equatable {
    /// The period, by trigger time: `from..<to`.
    package var from: Date
    package var to: Date
    package var generatedAt: Date
    /// What rows are grouped by, in order.
    package var by: [FunnelDimension]
    /// One per group, ordered by the group's values.
    package var rows: [FunnelRow]
    /// Every trigger of the period in one row (its group values are all `nil`).
    package var total: FunnelRow
    /// Per day (UTC) of the period: the daily time series.
    package var daily: [FunnelRow]
    /// Why messages failed, most frequent first.
    package var failures: [FailureCount]

    package init(
        from: Date,
        to: Date,
        generatedAt: Date,
        by: [FunnelDimension],
        rows: [FunnelRow],
        total: FunnelRow,
        daily: [FunnelRow],
        failures: [FailureCount]
    ) {
        self.from = from
        self.to = to
        self.generatedAt = generatedAt
        self.by = by
        self.rows = rows
        self.total = total
        self.daily = daily
        self.failures = failures
    }
}

/// A column rows can be grouped by (`--by workflow,channel`).
package enum FunnelDimension: String, Sendable, CaseIterable, Codable {
    case workflow, channel, provider, day
}

/// The counts of each stage: messages for sent..failed, transactions for triggered and converted.
package struct FunnelCounts: Sendable, Equatable {
    package var triggered = 0
    package var sent = 0
    package var delivered = 0
    package var opened = 0
    package var clicked = 0
    package var converted = 0
    package var failed = 0
    /// The messages of channels that report delivery (all but in-app): sent, and of those delivered.
    package var sentReportingDelivery = 0
    package var deliveredReportingDelivery = 0
    /// The messages of channels that report opens (all but SMS): delivered, and of those opened and clicked.
    package var deliveredReportingOpens = 0
    package var openedReportingOpens = 0
    package var clickedReportingOpens = 0

    /// The rates as the report defines them. A channel that cannot report a rate's stage is left out of
    /// it (in-app of delivery, SMS of opens), and a rate with nothing to divide by is not available.
    package var rates: FunnelRates {
        FunnelRates(
            delivery: Self.rate(deliveredReportingDelivery, sentReportingDelivery),
            open: Self.rate(openedReportingOpens, deliveredReportingOpens),
            click: Self.rate(clicked, delivered),
            clickToOpen: Self.rate(clickedReportingOpens, openedReportingOpens),
            conversion: Self.rate(converted, triggered),
            failure: Self.rate(failed, sent)
        )
    }

    /// `nil` when the denominator is zero: a channel that reports no delivery (email without activity
    /// tracking) has none, and its open rate is not 0 % but unknown.
    static func rate(_ part: Int, _ whole: Int) -> Double? {
        whole > 0 ? Double(part) / Double(whole) : nil
    }

    /// Whether `channel` reports delivery (in-app messages are shown, not delivered) and opens (an SMS
    /// is never seen to be read).
    package static func reports(delivery channel: String) -> Bool { channel != "in_app" }
    package static func reports(opens channel: String) -> Bool { channel != "sms" }

    /// Counts summed (rows merged): their rates follow from the sums.
    package static func + (a: FunnelCounts, b: FunnelCounts) -> FunnelCounts {
        var sum = a
        sum.triggered += b.triggered
        sum.sent += b.sent
        sum.delivered += b.delivered
        sum.opened += b.opened
        sum.clicked += b.clicked
        sum.converted += b.converted
        sum.failed += b.failed
        sum.sentReportingDelivery += b.sentReportingDelivery
        sum.deliveredReportingDelivery += b.deliveredReportingDelivery
        sum.deliveredReportingOpens += b.deliveredReportingOpens
        sum.openedReportingOpens += b.openedReportingOpens
        sum.clickedReportingOpens += b.clickedReportingOpens
        return sum
    }

    package init(
        triggered: Int = 0,
        sent: Int = 0,
        delivered: Int = 0,
        opened: Int = 0,
        clicked: Int = 0,
        converted: Int = 0,
        failed: Int = 0
    ) {
        self.triggered = triggered
        self.sent = sent
        self.delivered = delivered
        self.opened = opened
        self.clicked = clicked
        self.converted = converted
        self.failed = failed
    }
}

/// Rates as fractions (0.25 = 25 %); `nil` is "not available": the channel cannot report the
/// denominator (in-app delivery, email without activity tracking), or it is zero.
package struct FunnelRates: Sendable, Equatable {
    package var delivery: Double?
    package var open: Double?
    package var click: Double?
    package var clickToOpen: Double?
    package var conversion: Double?
    package var failure: Double?

    package init(
        delivery: Double? = nil,
        open: Double? = nil,
        click: Double? = nil,
        clickToOpen: Double? = nil,
        conversion: Double? = nil,
        failure: Double? = nil
    ) {
        self.delivery = delivery
        self.open = open
        self.click = click
        self.clickToOpen = clickToOpen
        self.conversion = conversion
        self.failure = failure
    }
}

/// Times in seconds; `nil` when nothing was measured.
package struct FunnelTimes: Sendable, Equatable {
    package var medianToOpen: Double?
    package var p90ToOpen: Double?
    package var medianToConvert: Double?
    package var p90ToConvert: Double?

    package init(medianToOpen: Double? = nil, p90ToOpen: Double? = nil, medianToConvert: Double? = nil, p90ToConvert: Double? = nil) {
        self.medianToOpen = medianToOpen
        self.p90ToOpen = p90ToOpen
        self.medianToConvert = medianToConvert
        self.p90ToConvert = p90ToConvert
    }
}

/// One group of the report.
package struct FunnelRow: Sendable, Equatable {
    /// The group's values, for the dimensions the report is grouped by (`day` as `2026-12-06`).
    package var workflow: String?
    package var channel: String?
    package var provider: String?
    package var day: String?
    package var counts: FunnelCounts
    package var rates: FunnelRates
    package var times: FunnelTimes
    /// Some of its triggers are younger than their conversion window: conversions may still come.
    package var maturing: Bool

    package init(
        workflow: String? = nil,
        channel: String? = nil,
        provider: String? = nil,
        day: String? = nil,
        counts: FunnelCounts = FunnelCounts(),
        rates: FunnelRates = FunnelRates(),
        times: FunnelTimes = FunnelTimes(),
        maturing: Bool = false
    ) {
        self.workflow = workflow
        self.channel = channel
        self.provider = provider
        self.day = day
        self.counts = counts
        self.rates = rates
        self.times = times
        self.maturing = maturing
    }

    package func value(of dimension: FunnelDimension) -> String? {
        switch dimension {
        case .workflow: workflow
        case .channel: channel
        case .provider: provider
        case .day: day
        }
    }
}

/// How many messages failed for one reason.
package struct FailureCount: Sendable, Equatable {
    package var reason: String
    package var channel: String
    package var count: Int

    package init(reason: String, channel: String, count: Int) {
        self.reason = reason
        self.channel = channel
        self.count = count
    }
}
