import Foundation

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

    package init(
        id: Int64,
        destination: String,
        user: String,
        kind: String,
        reason: String,
        status: Int?,
        attempts: Int,
        createdAt: Date,
        firstAttemptAt: Date?,
        lastAttemptAt: Date?,
        deadLetteredAt: Date?
    ) {
        self.id = id
        self.destination = destination
        self.user = user
        self.kind = kind
        self.reason = reason
        self.status = status
        self.attempts = attempts
        self.createdAt = createdAt
        self.firstAttemptAt = firstAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.deadLetteredAt = deadLetteredAt
    }
}
