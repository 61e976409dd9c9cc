import Foundation

/// A notification transaction to follow: Novu acknowledged a trigger with this `transactionId`, and the
/// activity poller looks at its messages from `firstLookAt` on (DESIGN §10).
package struct Follow: Sendable, Equatable {
    package var transactionId: String
    package var firstLookAt: Date

    package init(transactionId: String, firstLookAt: Date) {
        self.transactionId = transactionId
        self.firstLookAt = firstLookAt
    }
}
