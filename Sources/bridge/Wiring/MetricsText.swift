import Foundation

/// The Prometheus exposition of `/metrics`, with a `# HELP` line for each of the bridge's metrics
/// (swift-metrics carries no help text, so it is added here).
enum MetricsText {
    static let help: [String: String] = [
        "bridge_events_total":
            "Events received on each port, by type and outcome (received, accepted, duplicate, ignored, rejected, unauthorized, dead_lettered).",
        "bridge_events_ignored_total":
            "Events acknowledged and not forwarded, by port, type and reason (environment, no rule, loop guard, not a delivery event).",
        "bridge_deliveries_total": "Delivery attempts settled, by destination and outcome (delivered, retried, dead_lettered, dry_run).",
        "bridge_delivery_latency_seconds": "End-to-end latency from the durable commit at ingest to the destination's acknowledgement.",
        "bridge_queue_depth": "Jobs queued (not yet delivered or dead-lettered), by destination.",
        "bridge_queue_oldest_age_seconds": "Age of the oldest queued job, by destination.",
        "bridge_http_requests_total": "HTTP requests answered, by port and status.",
        "bridge_http_request_duration_seconds": "Time to answer HTTP requests, by port.",
    ]

    static func render(_ raw: [UInt8]) -> String {
        var lines: [String] = []
        for line in String(decoding: raw, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE ") {
                let name = line.dropFirst("# TYPE ".count).split(separator: " ").first.map(String.init) ?? ""
                if let text = help[name] { lines.append("# HELP \(name) \(text)") }
            }
            lines.append(String(line))
        }
        return lines.joined(separator: "\n")
    }
}
