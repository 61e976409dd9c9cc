import Foundation

/// Which dead letters an operator means.
package struct DeadLetterFilter: Sendable, Equatable {
    package var ids: [Int64]?
    package var destination: String?
    /// Matches reasons that contain this text (`HTTP 422`, `expired`, `no subscriber`).
    package var reason: String?
    /// Dead-lettered at or after this time.
    package var since: Date?
    package var limit: Int?

    package init(ids: [Int64]? = nil, destination: String? = nil, reason: String? = nil, since: Date? = nil, limit: Int? = nil) {
        self.ids = ids
        self.destination = destination
        self.reason = reason
        self.since = since
        self.limit = limit
    }
}
