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

/// One dead-lettered job, as `bridge dlq list` shows it.
package struct DeadLetter: Sendable, Equatable, Codable {
    package var id: Int64
    package var destination: String
    package var user: String
    package var kind: String
    package var reason: String
    /// The last answer's status; `nil` when there was none.
    package var status: Int?
    package var attempts: Int
    package var createdAt: Date
    package var firstAttemptAt: Date?
    package var lastAttemptAt: Date?
    package var deadLetteredAt: Date?
}

/// Everything kept about one dead letter (`bridge dlq show`).
package struct DeadLetterDetail: Sendable, Equatable, Codable {
    package var letter: DeadLetter
    /// The event that caused the job, as received.
    package var event: String?
    /// What the destination was to be sent (the job payload).
    package var payload: String
    package var attempts: [AttemptRecord]
}

/// The dead-letter queue, for operators. Works against the same store a running `serve` uses.
package protocol DeadLetterQueue: Sendable {
    func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter]
    func deadLetter(id: Int64) async throws -> DeadLetterDetail?
    /// Puts matching dead letters back in the queue with the ids they had, so destinations still dedupe.
    func replayDeadLetters(_ filter: DeadLetterFilter) async throws -> Int
    /// Deletes matching dead letters for good.
    func purgeDeadLetters(_ filter: DeadLetterFilter) async throws -> Int
}
