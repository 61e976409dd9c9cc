import Delivery
import Foundation

/// What a report is asked for (`bridge report` flags, `GET /report` and `GET /dashboard` queries): the
/// period, the grouping and an optional workflow. One parser for all three, so they read alike.
package struct ReportRequest: Sendable, Equatable {
    package var from: Date
    package var to: Date
    package var by: [FunnelDimension]
    package var workflow: String?

    package static let defaultSince = "7d"
    package static let defaultBy: [FunnelDimension] = [.workflow, .channel]

    package init(from: Date, to: Date, by: [FunnelDimension] = defaultBy, workflow: String? = nil) {
        self.from = from
        self.to = to
        self.by = by
        self.workflow = workflow
    }

    /// `since` (a duration back from `now`, default 7d) or `from`/`to` (ISO 8601 dates or times; `to`
    /// defaults to `now`); `by` a comma-separated list of workflow, channel, provider, day.
    package static func parse(
        since: String?,
        from: String?,
        to: String?,
        by: String?,
        workflow: String? = nil,
        now: Date
    ) throws(ReportRequestError) -> ReportRequest {
        if since != nil, from != nil { throw ReportRequestError(field: "since", message: "give either since or from/to, not both") }
        let end = try to.map { text throws(ReportRequestError) in try time(text, field: "to") } ?? now
        let start: Date
        if let from {
            start = try time(from, field: "from")
        } else {
            let text = since ?? defaultSince
            guard let duration = DurationText.parse(text), duration > .zero, duration <= .seconds(366 * 86400) else {
                throw ReportRequestError(field: "since", message: "expected a duration up to 366d, such as 24h, 7d or 30d, got '\(text)'")
            }
            start = end.addingTimeInterval(-duration.timeInterval)
        }
        guard start < end else { throw ReportRequestError(field: "from", message: "must be before to") }
        var dimensions: [FunnelDimension] = []
        for name in (by ?? defaultBy.map(\.rawValue).joined(separator: ",")).split(separator: ",") {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let dimension = FunnelDimension(rawValue: trimmed) else {
                throw ReportRequestError(
                    field: "by",
                    message: "expected a comma-separated list of workflow, channel, provider, day; got '\(trimmed)'"
                )
            }
            if !dimensions.contains(dimension) { dimensions.append(dimension) }
        }
        let filter = workflow.flatMap { $0.isEmpty ? nil : $0 }
        return ReportRequest(from: start, to: end, by: dimensions, workflow: filter)
    }

    /// An ISO 8601 date or time given as `field`.
    static func time(_ text: String, field: String) throws(ReportRequestError) -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let date = try? Date(trimmed, strategy: .iso8601) { return date }
        if let date = try? Date(trimmed, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        if let date = try? Date(trimmed, strategy: Date.ISO8601FormatStyle().year().month().day()) { return date }
        throw ReportRequestError(field: field, message: "expected an ISO 8601 date or time, such as 2026-12-01, got '\(trimmed)'")
    }

    /// The report of `facts` for this request; `rules` give each workflow's conversion window.
    package func report(_ facts: FunnelFacts, rules: ConversionRules, now: Date) -> FunnelReport {
        var facts = facts
        if let workflow {
            facts.triggers.removeAll { $0.workflow != workflow }
            let kept = Set(facts.triggers.map(\.transactionId))
            facts.messages.removeAll { $0.workflow != workflow && !kept.contains($0.transactionId) }
        }
        return FunnelReport.build(facts, from: from, to: to, by: by, now: now, window: { rules.window(workflow: $0) })
    }
}

/// A report request that cannot be answered as asked; `field` names the flag or query parameter.
package struct ReportRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    package var field: String
    package var message: String
    package var description: String { "\(field): \(message)" }
}
