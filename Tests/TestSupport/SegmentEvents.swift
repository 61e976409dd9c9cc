import Delivery
import Foundation
import JSON

extension FakeServer {
    /// Every event of every Segment batch this fake received, in arrival order.
    package var segmentEvents: [JSONValue] {
        requests.flatMap { $0.json["batch"]?.arrayValue ?? [] }
    }

    /// The events named `name` received so far.
    package func segmentEvents(named name: String) -> [JSONValue] {
        segmentEvents.filter { $0["event"]?.stringValue == name }
    }

    /// Waits, request by request, until `count` events named `name` have arrived; returns them.
    @discardableResult
    package func waitForSegmentEvents(named name: String, count: Int = 1, timeout: Duration = .seconds(15)) async throws -> [JSONValue] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let seen = segmentEvents(named: name)
            if seen.count >= count { return seen }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw TestFailure("timed out waiting for \(count) '\(name)' events; got \(seen.count)")
            }
            _ = try await waitForRequests(requests.count + 1, timeout: remaining)
        }
    }
}
