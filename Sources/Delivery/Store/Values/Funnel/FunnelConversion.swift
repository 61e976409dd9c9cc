import Foundation

/// A conversion credited to one message of one transaction: recorded once per (transaction, goal).
package struct FunnelConversion: Sendable, Equatable {
    package var transactionId: String
    package var goal: String
    package var messageId: String
    package var workflow: String
    package var convertedAt: Date
    package var value: Double?

    package init(transactionId: String, goal: String, messageId: String, workflow: String, convertedAt: Date, value: Double? = nil) {
        self.transactionId = transactionId
        self.goal = goal
        self.messageId = messageId
        self.workflow = workflow
        self.convertedAt = convertedAt
        self.value = value
    }
}
