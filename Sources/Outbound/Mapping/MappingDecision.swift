import Delivery

/// What one Segment event becomes.
package enum MappingDecision: Sendable, Equatable {
    /// A Novu call, ordered behind the same user's earlier calls.
    case send(NovuCall, orderingKey: String, correlation: Correlation?)
    /// Accepted and counted, but nothing to send (`environment`, `no rule for page`, …).
    case ignored(reason: String)
    /// The event cannot be mapped; the message names the field. Answers `400` for a single event.
    case invalid(String)
}
