import Foundation
import Synchronization

/// What the relay knows about each destination right now; `/readyz` and `stats` read it.
package final class RelayStatus: Sendable {
    /// One destination's state.
    package struct Destination: Sendable, Equatable {
        /// Sends wait until then (a 429, a `Retry-After`, or the next credential probe).
        package var pausedUntil: Date?
        /// Credentials refused: only one probe per interval until one succeeds.
        package var held: Bool = false
        /// Why it is held, for readiness and logs.
        package var holdReason: String?
        /// Its last attempt failed and is retried (no answer, 408, 429, 5xx…): logged once when it starts
        /// failing and once when it delivers again, not on every attempt.
        package var failing: Bool = false

        package init(pausedUntil: Date? = nil, held: Bool = false, holdReason: String? = nil) {
            self.pausedUntil = pausedUntil
            self.held = held
            self.holdReason = holdReason
        }
    }

    private let state = Mutex([String: Destination]())
    private let persisted = Mutex([String: Bool]())

    package init() {}

    /// The state of `name` (the default state when nothing was recorded).
    package func destination(_ name: String) -> Destination {
        state.withLock { $0[name] ?? Destination() }
    }

    /// Every destination on hold, with its reason.
    package var held: [(name: String, reason: String)] {
        state.withLock { all in
            all.filter(\.value.held).map { ($0.key, $0.value.holdReason ?? "held") }.sorted { $0.name < $1.name }
        }
    }

    /// `true` when `name`'s hold state differs from what was last written to the store, and notes it
    /// as written: the caller then writes it.
    package func needsPersisting(_ name: String) -> (held: Bool, reason: String?)? {
        let current = destination(name)
        return persisted.withLock { written in
            guard written[name] != current.held else { return nil }
            written[name] = current.held
            return (current.held, current.holdReason)
        }
    }

    /// Changes `name`'s state and returns the state before.
    @discardableResult
    package func update(_ name: String, _ change: (inout Destination) -> Void) -> Destination {
        state.withLock { all in
            let before = all[name] ?? Destination()
            var after = before
            change(&after)
            all[name] = after
            return before
        }
    }
}
