import Delivery
import Synchronization

/// Ingest's group commit on PostgreSQL: the requests that arrive while a transaction commits wait, and
/// go together in the next one. One `COMMIT` (one WAL flush) answers them all, and one pooled
/// connection serves ingest however many requests are in flight, leaving the rest of the pool to the
/// relay. Each request's answer is still given only after the `COMMIT` that holds its jobs returned.
final class IntakeGroup: Sendable {
    /// One request's jobs, its binding, and who waits for the answer.
    struct Request: Sendable {
        var jobs: [NewJob]
        var binding: KeyBinding?
        var answer: CheckedContinuation<[EnqueueResult], any Error>
    }

    /// What one request's part of a group came to: its results, or the error only it met (a binding to
    /// another value). A database error fails the whole group.
    typealias Outcome = Result<[EnqueueResult], any Error>

    private struct State {
        var waiting: [Request] = []
        var committing = false
    }

    private let state = Mutex(State())
    /// Jobs in one group at most: a burst is cut into transactions short enough not to hold row locks long.
    private let maxJobs: Int
    /// Commits one group, returning each request's outcome in order; throws when the transaction failed.
    private let commit: @Sendable ([Request]) async throws -> [Outcome]

    init(maxJobs: Int = 500, commit: @escaping @Sendable ([Request]) async throws -> [Outcome]) {
        self.maxJobs = maxJobs
        self.commit = commit
    }

    /// Requests waiting for the next group (for tests).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Queues `jobs` in the next group and returns once that group committed.
    func enqueue(_ jobs: [NewJob], binding: KeyBinding?) async throws -> [EnqueueResult] {
        try await withCheckedThrowingContinuation { answer in
            let start = state.withLock { state in
                state.waiting.append(Request(jobs: jobs, binding: binding, answer: answer))
                if state.committing { return false }
                state.committing = true
                return true
            }
            if start { Task { await drain() } }
        }
    }

    /// Commits groups until none waits.
    private func drain() async {
        while let group = nextGroup() {
            do {
                let outcomes = try await commit(group)
                for (request, outcome) in zip(group, outcomes) { request.answer.resume(with: outcome) }
            } catch {
                for request in group { request.answer.resume(throwing: error) }
            }
        }
    }

    /// The requests waiting, up to `maxJobs` jobs (at least one request); `nil` when none waits, which
    /// ends this drain.
    private func nextGroup() -> [Request]? {
        state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.committing = false
                return nil
            }
            var count = 0
            var taken = 0
            while taken < state.waiting.count, taken == 0 || count + state.waiting[taken].jobs.count <= maxJobs {
                count += state.waiting[taken].jobs.count
                taken += 1
            }
            let group = Array(state.waiting.prefix(taken))
            state.waiting.removeFirst(taken)
            return group
        }
    }
}
