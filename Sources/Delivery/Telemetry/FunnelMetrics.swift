import Metrics
import Synchronization

/// A funnel stage reached for the first time, for `/metrics`.
package struct FunnelObservation: Sendable, Equatable {
    package var workflow: String
    package var channel: String
    /// `triggered`, `sent`, `delivered`, `opened`, `clicked`, `failed`, `converted`.
    package var stage: String
    /// Seconds from delivery (or sending) to the first open, for `opened`.
    package var timeToOpen: Double?

    package init(workflow: String, channel: String, stage: String, timeToOpen: Double? = nil) {
        self.workflow = workflow
        self.channel = channel
        self.stage = stage
        self.timeToOpen = timeToOpen
    }
}

/// `bridge_funnel_events_total{workflow,channel,stage}`, `bridge_time_to_open_seconds{channel}` and
/// `bridge_conversions_total{workflow}`. Workflow ids come from users: past `workflowCap` distinct ones, the
/// rest count as `other`, so /metrics stays bounded.
package enum FunnelMetrics {
    package static let workflowCap = 50
    static let events = CounterCache(label: "bridge_funnel_events_total")
    static let conversions = CounterCache(label: "bridge_conversions_total")
    static let workflows = Mutex(Set<String>())
    static let channels: Set<String> = ["email", "push", "sms", "in_app", "chat", "none"]

    /// The label `workflow` counts under.
    package static func label(workflow: String) -> String {
        workflows.withLock { known in
            if known.contains(workflow) { return workflow }
            guard known.count < workflowCap else { return "other" }
            known.insert(workflow)
            return workflow
        }
    }

    /// Looked up once per channel: making a recorder asks the metrics backend (a lock and a lookup).
    static let recorders = Mutex([String: Recorder]())

    static func timeToOpen(channel: String) -> Recorder {
        recorders.withLock { cache in
            if let known = cache[channel] { return known }
            let made = Recorder(label: "bridge_time_to_open_seconds", dimensions: [("channel", channel)], aggregate: true)
            cache[channel] = made
            return made
        }
    }

    package static func record(_ observations: [FunnelObservation]) {
        for observation in observations {
            let workflow = label(workflow: observation.workflow)
            let channel = channels.contains(observation.channel) ? observation.channel : "other"
            events.increment([("workflow", workflow), ("channel", channel), ("stage", observation.stage)])
            if observation.stage == "converted" { conversions.increment([("workflow", workflow)]) }
            if let seconds = observation.timeToOpen { timeToOpen(channel: channel).record(seconds) }
        }
    }
}
