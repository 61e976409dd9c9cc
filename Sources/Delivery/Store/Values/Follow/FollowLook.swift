import Foundation

/// What one look decided for a transaction: look again then, or stop following it, and why.
package struct FollowLook: Sendable, Equatable {
    package enum Next: Sendable, Equatable {
        case lookAgain(at: Date)
        /// No longer followed: `age` (past `NOVU_POLL_MAX_AGE`), `retention` (Novu answered 402).
        case end(reason: String)
    }

    package var transactionId: String
    package var next: Next

    package init(transactionId: String, next: Next) {
        self.transactionId = transactionId
        self.next = next
    }
}
