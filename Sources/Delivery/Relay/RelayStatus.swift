import Foundation
import Logging
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
        modify(name) { state in
            let before = state
            change(&state)
            return before
        }
    }

    /// Runs `body` on `name`'s state under the lock, so what it reads and what it changes are one step.
    package func modify<Result>(_ name: String, _ body: (inout Destination) -> Result) -> Result {
        state.withLock { all in
            var current = all[name] ?? Destination()
            defer { all[name] = current }
            return body(&current)
        }
    }

    /// Writes a changed hold state of `name` to `store`, for `bridge stats` in another process.
    func persist(_ name: String, to store: any StoreMaintenance, logger: Logger) async {
        guard let state = needsPersisting(name) else { return }
        do {
            try await store.recordDestinationState(name: name, held: state.held, reason: state.reason)
        } catch {
            logger.warning("could not record the destination state", metadata: ["destination": "\(name)", "error": "\(error)"])
        }
    }
}
