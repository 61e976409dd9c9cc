import Foundation
import JSON

/// A trigger Novu acknowledged, as the funnel keeps it.
package struct FunnelTrigger: Sendable, Equatable {
    package var transactionId: String
    package var userId: String
    package var workflow: String
    package var triggerEvent: String
    package var triggerMessageId: String
    package var triggeredAt: Date
    /// The Novu trigger `context` (a rule's `context:`), when it had one.
    package var context: [String: JSONValue]?
    /// Its place in the order triggers were recorded (the announcer's cursor); 0 when not read from there.
    package var position: Int64 = 0

    package init(
        transactionId: String,
        userId: String,
        workflow: String,
        triggerEvent: String,
        triggerMessageId: String,
        triggeredAt: Date,
        context: [String: JSONValue]? = nil,
        position: Int64 = 0
    ) {
        self.context = context
        self.position = position
        self.transactionId = transactionId
        self.userId = userId
        self.workflow = workflow
        self.triggerEvent = triggerEvent
        self.triggerMessageId = triggerMessageId
        self.triggeredAt = triggeredAt
    }
}
