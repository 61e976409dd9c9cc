/// Per-destination figures for `bridge stats` and the queue gauges.
package struct DestinationStats: Sendable, Equatable, Codable {
    package struct Window: Sendable, Equatable, Codable {
        package var delivered = 0
        package var retried = 0
        package var deadLettered = 0

        package init() {}
    }

    package var destination: String
    package var queued = 0
    /// Age of the oldest job still queued, in seconds.
    package var oldestPendingAge: Double?
    package var lastHour = Window()
    package var lastDay = Window()
    package var held = false
    package var holdReason: String?

    package init(destination: String) {
        self.destination = destination
    }
}
