import Foundation

/// A job claimed by the relay for one attempt.
package struct ClaimedJob: Sendable, Equatable {
    package var id: Int64
    package var destination: String
    /// `nil`: the job is for no one (see `NewJob.orderingKey`).
    package var orderingKey: String?
    package var kind: String
    package var payload: Data
    /// Attempts made before this one.
    package var attempts: Int
    package var createdAt: Date
    package var firstAttemptAt: Date?
    /// The status of the previous attempt's answer; `nil` when there was none (or no attempt).
    package var lastStatus: Int?
    /// The idempotency key the previous attempt sent.
    package var lastAttemptKey: String?

    package init(
        id: Int64,
        destination: String,
        orderingKey: String?,
        kind: String,
        payload: Data,
        attempts: Int = 0,
        createdAt: Date = Date(),
        firstAttemptAt: Date? = nil,
        lastStatus: Int? = nil,
        lastAttemptKey: String? = nil
    ) {
        self.id = id
        self.destination = destination
        self.orderingKey = orderingKey
        self.kind = kind
        self.payload = payload
        self.attempts = attempts
        self.createdAt = createdAt
        self.firstAttemptAt = firstAttemptAt
        self.lastStatus = lastStatus
        self.lastAttemptKey = lastAttemptKey
    }
}
