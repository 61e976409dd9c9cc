import Synchronization

/// Lets a line that repeats under a lasting failure through once per interval, counting the ones it held
/// back. A failure met by every request (a full disk refusing every ingest, a wrong destination URL
/// dead-lettering every event) is one fact, not a line per request; with the logs on the disk that is
/// full, a line per request would feed the failure.
package final class LogThrottle: Sendable {
    private struct State {
        var last: ContinuousClock.Instant?
        var held = 0
    }

    private let interval: Duration
    private let state = Mutex(State())

    package init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// `nil` when the line is held back; otherwise log it now, noting how many were held back before it.
    package func admit(now: ContinuousClock.Instant = .now) -> Int? {
        state.withLock { state in
            if let last = state.last, now - last < interval {
                state.held += 1
                return nil
            }
            defer { state = State(last: now, held: 0) }
            return state.held
        }
    }
}
