import Foundation

/// Which dead letters an operator means.
public struct DeadLetterFilter: Sendable, Equatable {
    public var ids: [Int64]?
    public var destination: String?
    /// Matches reasons that contain this text (`HTTP 422`, `expired`, `no subscriber`).
    public var reason: String?
    /// Dead-lettered at or after this time.
    public var since: Date?
    public var limit: Int?

    public init(ids: [Int64]? = nil, destination: String? = nil, reason: String? = nil, since: Date? = nil, limit: Int? = nil) {
        self.ids = ids
        self.destination = destination
        self.reason = reason
        self.since = since
        self.limit = limit
    }
}

/// One dead-lettered job, as `bridge dlq list` shows it.
public struct DeadLetter: Sendable, Equatable, Codable {
    public var id: Int64
    public var destination: String
    public var user: String
    public var kind: String
    public var reason: String
    /// The last answer's status; `nil` when there was none.
    public var status: Int?
    public var attempts: Int
    public var createdAt: Date
    public var firstAttemptAt: Date?
    public var lastAttemptAt: Date?
    public var deadLetteredAt: Date?
}

/// Everything kept about one dead letter (`bridge dlq show`).
public struct DeadLetterDetail: Sendable, Equatable, Codable {
    public var letter: DeadLetter
    /// The event that caused the job, as received.
    public var event: String?
    /// What the destination was to be sent (the job payload).
    public var payload: String
    public var attempts: [AttemptRecord]
}

/// The dead-letter queue, for operators. Works against the same store a running `serve` uses.
public protocol DeadLetterQueue: Sendable {
    func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter]
    func deadLetter(id: Int64) async throws -> DeadLetterDetail?
    /// Puts matching dead letters back in the queue with the ids they had, so destinations still dedupe.
    func replayDeadLetters(_ filter: DeadLetterFilter) async throws -> Int
    /// Deletes matching dead letters for good.
    func purgeDeadLetters(_ filter: DeadLetterFilter) async throws -> Int
}
