/// The funnel facts of a period: the triggers acknowledged in it, and their messages.
package struct FunnelFacts: Sendable, Equatable {
    package var triggers: [FunnelTrigger]
    package var messages: [FunnelMessage]

    package init(triggers: [FunnelTrigger] = [], messages: [FunnelMessage] = []) {
        self.triggers = triggers
        self.messages = messages
    }
}
