import Foundation

/// What one settlement changes in its destination's state (`RelayStatus.Destination`); `nil` fields leave
/// it as it is.
package struct DestinationChange: Sendable, Equatable {
    /// A hold set or lifted.
    package enum Hold: Sendable, Equatable {
        /// Credentials refused (or not set): one probe per interval, not ready, for this reason.
        case held(reason: String)
        case lifted
    }

    /// Send nothing before then; a pause already set to end later stays.
    package var pauseUntil: Date?
    package var hold: Hold?
    /// Whether its attempts fail (and are retried).
    package var failing: Bool?

    package init(pauseUntil: Date? = nil, hold: Hold? = nil, failing: Bool? = nil) {
        self.pauseUntil = pauseUntil
        self.hold = hold
        self.failing = failing
    }

    /// Pauses until `date` at least: of two pauses, the later wins.
    package mutating func pause(until date: Date) {
        pauseUntil = max(pauseUntil ?? date, date)
    }

    /// Applies the change to `state`.
    package func apply(to state: inout RelayStatus.Destination) {
        if let pauseUntil { state.pausedUntil = max(state.pausedUntil ?? pauseUntil, pauseUntil) }
        switch hold {
        case .held(let reason)?: (state.held, state.holdReason) = (true, reason)
        case .lifted?: (state.held, state.holdReason) = (false, nil)
        case nil: break
        }
        if let failing { state.failing = failing }
    }
}
