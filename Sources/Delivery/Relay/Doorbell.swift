import Synchronization

/// Wakes one waiting relay lane: rung when jobs are queued or a send finishes, waited on when the
/// lane has nothing to do. A ring with nobody waiting is remembered, so no wake-up is lost between
/// a lane's check and its wait.
///
/// One waiter at a time: each lane owns its doorbell.
public final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
        var timer: Task<Void, Never>?
        var generation = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiter, or the next one to wait.
    public func ring() {
        let (waiter, timer) = state.withLock { state in
            guard let waiter = state.waiter else {
                state.rung = true
                return (CheckedContinuation<Void, Never>?.none, Task<Void, Never>?.none)
            }
            state.waiter = nil
            defer { state.timer = nil }
            return (waiter, state.timer)
        }
        timer?.cancel()
        waiter?.resume()
    }

    /// Returns at the next ring, after `timeout` (when given), or when the task is cancelled.
    public func wait(timeout: Duration?) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.rung {
                        state.rung = false
                        return true
                    }
                    state.generation += 1
                    state.waiter = continuation
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
            ring()
        }
    }

    private func expire(generation: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.generation == generation, let waiter = state.waiter else { return nil }
            state.waiter = nil
            state.timer = nil
            return waiter
        }
        waiter?.resume()
    }
}
