/// What the queue gauges publish for one destination.
package struct QueueFigures: Sendable, Equatable {
    package var destination: String
    package var queued = 0
    /// Age of the oldest job still queued, in seconds; `nil` when none is.
    package var oldestPendingAge: Double?

    package init(destination: String, queued: Int = 0, oldestPendingAge: Double? = nil) {
        self.destination = destination
        self.queued = queued
        self.oldestPendingAge = oldestPendingAge
    }
}
