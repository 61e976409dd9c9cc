import Foundation

/// What the store knows of the poller, for `/readyz`, `/metrics` and `bridge doctor`.
package struct FollowFigures: Sendable, Equatable {
    /// Transactions still followed.
    package var followed: Int
    /// The earliest look still owed; `nil` when nothing is followed.
    package var nextLookAt: Date?
    /// How many looks ended each way (`age`, `retention`).
    package var ended: [String: Int]

    package init(followed: Int = 0, nextLookAt: Date? = nil, ended: [String: Int] = [:]) {
        self.followed = followed
        self.nextLookAt = nextLookAt
        self.ended = ended
    }
}
