import Foundation

/// One attempt's record, kept with the job.
package struct AttemptRecord: Sendable, Equatable, Codable {
    package var at: Date
    /// The answer's status; `nil` when there was no answer.
    package var status: Int?
    /// Why it did not succeed, or `delivered`.
    package var reason: String
    /// The first 2 KB of the answer.
    package var response: String?
    /// The idempotency key the attempt sent.
    package var attemptKey: String?
    /// The request as sent (secrets redacted), for the dead-letter queue.
    package var request: String?

    package init(
        at: Date,
        status: Int?,
        reason: String,
        response: String? = nil,
        attemptKey: String? = nil,
        request: String? = nil
    ) {
        self.at = at
        self.status = status
        self.reason = reason
        self.response = response
        self.attemptKey = attemptKey
        self.request = request
    }
}
