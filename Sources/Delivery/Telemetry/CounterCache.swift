import Metrics
import Synchronization

/// Counters looked up once and kept: creating a swift-metrics `Counter` asks the metrics backend for it
/// (a lock, a label check, a dictionary) every time, and ingest counts every event.
package final class CounterCache: Sendable {
    private let label: String
    private let counters = Mutex([[String]: Counter]())

    package init(label: String) {
        self.label = label
    }

    /// Adds `amount` to the counter with these `(name, value)` dimensions.
    package func increment(_ dimensions: [(String, String)], by amount: Int64 = 1) {
        // One array, not `flatMap`'s one per pair: ingest counts several times per request.
        var key: [String] = []
        key.reserveCapacity(dimensions.count * 2)
        for (name, value) in dimensions {
            key.append(name)
            key.append(value)
        }
        let counter = counters.withLock { cache in
            if let known = cache[key] { return known }
            let made = Counter(label: label, dimensions: dimensions)
            cache[key] = made
            return made
        }
        counter.increment(by: amount)
    }

    /// `bridge_events_total{port,type,outcome}`.
    package static let events = CounterCache(label: "bridge_events_total")
    /// `bridge_events_ignored_total{port,type,reason}`: why ignored events were ignored.
    package static let ignored = CounterCache(label: "bridge_events_ignored_total")
    /// `bridge_deliveries_total{destination,outcome}`.
    package static let deliveries = CounterCache(label: "bridge_deliveries_total")
    /// `bridge_http_requests_total{port,status}`.
    package static let httpRequests = CounterCache(label: "bridge_http_requests_total")
}
