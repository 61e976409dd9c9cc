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
}
