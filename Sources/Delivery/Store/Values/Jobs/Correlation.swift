import JSON

/// Links a notification transaction to the Segment event that caused it.
package struct Correlation: Sendable, Equatable {
    package var transactionId: String
    package var eventName: String
    package var messageId: String
    package var userId: String
    package var workflow: String
    /// The Novu trigger `context` the transaction was sent with (a rule's `context:`); `nil` for none,
    /// which stores nothing.
    package var context: [String: JSONValue]?

    package init(
        transactionId: String,
        eventName: String,
        messageId: String,
        userId: String,
        workflow: String,
        context: [String: JSONValue]? = nil
    ) {
        self.transactionId = transactionId
        self.eventName = eventName
        self.messageId = messageId
        self.userId = userId
        self.workflow = workflow
        self.context = context
    }
}
