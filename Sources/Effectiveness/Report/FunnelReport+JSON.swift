import Delivery
import Foundation
import JSON

extension FunnelReport {
    /// The report as `bridge report --format json` and `GET /report` give it. A rate that is not
    /// available is `null`, never `0`.
    package var json: JSONValue {
        .object([
            "from": .string(from.formatted(.iso8601)),
            "to": .string(to.formatted(.iso8601)),
            "generated_at": .string(generatedAt.formatted(.iso8601)),
            "by": .array(by.map { .string($0.rawValue) }),
            "rows": .array(rows.map { $0.json(by: by) }),
            "total": total.json(by: []),
            "daily": .array(daily.map { $0.json(by: [.day]) }),
            "failures": .array(
                failures.map { .object(["reason": .string($0.reason), "channel": .string($0.channel), "count": .int(Int64($0.count))]) }
            ),
        ])
    }
}

extension FunnelRow {
    /// The stage names, in funnel order, as the JSON, CSV and table columns name them.
    package static let stages = ["triggered", "sent", "delivered", "opened", "clicked", "converted", "failed"]

    package func count(_ stage: String) -> Int {
        switch stage {
        case "triggered": counts.triggered
        case "sent": counts.sent
        case "delivered": counts.delivered
        case "opened": counts.opened
        case "clicked": counts.clicked
        case "converted": counts.converted
        default: counts.failed
        }
    }

    /// The rate names, as the JSON and CSV name them, with their values.
    package var namedRates: [(name: String, value: Double?)] {
        [
            ("delivery", rates.delivery), ("open", rates.open), ("click", rates.click),
            ("click_to_open", rates.clickToOpen), ("conversion", rates.conversion), ("failure", rates.failure),
        ]
    }

    /// The time names (seconds), as the JSON and CSV name them, with their values.
    package var namedTimes: [(name: String, value: Double?)] {
        [
            ("median_to_open_seconds", times.medianToOpen), ("p90_to_open_seconds", times.p90ToOpen),
            ("median_to_convert_seconds", times.medianToConvert), ("p90_to_convert_seconds", times.p90ToConvert),
        ]
    }

    func json(by: [FunnelDimension]) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for dimension in by { object[dimension.rawValue] = value(of: dimension).map(JSONValue.string) ?? .null }
        for stage in Self.stages { object[stage] = .int(Int64(count(stage))) }
        object["rates"] = .object(Dictionary(uniqueKeysWithValues: namedRates.map { ($0.name, $0.value.map(JSONValue.double) ?? .null) }))
        object["times"] = .object(Dictionary(uniqueKeysWithValues: namedTimes.map { ($0.name, $0.value.map(JSONValue.double) ?? .null) }))
        object["maturing"] = .bool(maturing)
        return .object(object)
    }
}
