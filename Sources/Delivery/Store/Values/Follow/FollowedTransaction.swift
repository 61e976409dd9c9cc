import Foundation

/// A followed transaction as the poller reads it.
package struct FollowedTransaction: Sendable, Equatable {
    package var transactionId: String
    /// When it was first followed (Novu acknowledged the trigger).
    package var since: Date
    /// Looks already taken.
    package var looks: Int
    /// When it is due.
    package var nextLookAt: Date

    package init(transactionId: String, since: Date, looks: Int, nextLookAt: Date) {
        self.transactionId = transactionId
        self.since = since
        self.looks = looks
        self.nextLookAt = nextLookAt
    }
}
