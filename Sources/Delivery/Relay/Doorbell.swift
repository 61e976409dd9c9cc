import Synchronization

/// Wakes one waiting relay lane: rung when jobs are queued or a send finishes, waited on when the
/// lane has nothing to do. A ring with nobody waiting is remembered, so no wake-up is lost between
/// a lane's check and its wait.
///
/// A lane can also sleep through rings until a deadline (a rate ceiling, a gather window): rings
/// meanwhile are kept for its next wait, and only `interrupt()` (shutdown) ends the sleep early.
///
/// One waiter at a time: each lane owns its doorbell.
package final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
        /// The waiter sleeps until its deadline: a ring does not wake it.
        var sleeping = false
        /// Set for good by `interrupt()`: no wait or sleep lasts from then on.
        var interrupted = false
        var timer: Task<Void, Never>?
        var generation = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// Whether a lane waits or sleeps on this bell now (for tests).
    var isWaiting: Bool { state.withLock { $0.waiter != nil } }

    /// Wakes the waiter, or the next one to wait; a sleeping waiter keeps sleeping.
    package func ring() {
        wake(interrupting: false)
    }

    /// Wakes the waiter, sleeping or not, and every later one at once (shutdown).
    package func interrupt() {
        wake(interrupting: true)
    }

    private func wake(interrupting: Bool) {
        let (waiter, timer) = state.withLock { state in
            if interrupting { state.interrupted = true }
            guard let waiter = state.waiter, !state.sleeping || interrupting else {
                state.rung = true
                return (CheckedContinuation<Void, Never>?.none, Task<Void, Never>?.none)
            }
            state.waiter = nil
            state.sleeping = false
            defer { state.timer = nil }
            return (waiter, state.timer)
        }
        timer?.cancel()
        waiter?.resume()
    }

    /// Returns at the next ring, after `timeout` (when given), or when the task is cancelled.
    package func wait(timeout: Duration?) async {
        await suspend(timeout: timeout, sleeping: false)
    }

    /// Returns at `deadline`, at `interrupt()`, or when the task is cancelled; rings meanwhile are
    /// kept for the next `wait`.
    package func sleep(until deadline: ContinuousClock.Instant) async {
        let timeout = deadline - ContinuousClock.now
        guard timeout > .zero else { return }
        await suspend(timeout: timeout, sleeping: true)
    }

    private func suspend(timeout: Duration?, sleeping: Bool) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.interrupted { return true }
                    if !sleeping, state.rung {
                        state.rung = false
                        return true
                    }
                    state.generation += 1
                    state.waiter = continuation
                    state.sleeping = sleeping
                    if let timeout {
                        let generation = state.generation
                        state.timer = Task { [self] in
                            try? await Task.sleep(for: timeout)
                            if !Task.isCancelled { self.expire(generation: generation) }
                        }
                    }
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            interrupt()
        }
    }

    private func expire(generation: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.generation == generation, let waiter = state.waiter else { return nil }
            state.waiter = nil
            state.sleeping = false
            state.timer = nil
            return waiter
        }
        waiter?.resume()
    }
}
