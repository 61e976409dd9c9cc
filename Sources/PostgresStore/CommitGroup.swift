import Synchronization

/// A group commit on PostgreSQL: the requests that arrive while a transaction commits wait, and go
/// together in the next one. One `COMMIT` (one WAL flush, one set of round trips) answers them all, and
/// one pooled connection serves them however many are in flight. Each request is answered only after
/// the `COMMIT` that holds its work returned. Ingest's jobs and the relay's settlements each have one.
final class CommitGroup<Work: Sendable, Answer: Sendable>: Sendable {
    /// One request's work and who waits for the answer.
    struct Request: Sendable {
        var work: Work
        var size: Int
        var answer: CheckedContinuation<Answer, any Error>
    }

    /// What one request came to: its answer, or the error only it met (a binding to another value, say).
    /// A database error fails the whole group.
    typealias Outcome = Result<Answer, any Error>

    private struct State {
        var waiting: [Request] = []
        var committing = false
    }

    private let state = Mutex(State())
    /// Work in one group at most (jobs, settlements): a burst is cut into transactions short enough not
    /// to hold row locks long.
    private let maxSize: Int
    /// Commits one group, returning each request's outcome in order; throws when the transaction failed.
    private let commit: @Sendable ([Work]) async throws -> [Outcome]

    init(maxSize: Int = 500, commit: @escaping @Sendable ([Work]) async throws -> [Outcome]) {
        self.maxSize = maxSize
        self.commit = commit
    }

    /// Requests waiting for the next group (for tests).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Commits `work` (of `size` units) in the next group and returns once that group committed.
    func submit(_ work: Work, size: Int) async throws -> Answer {
        try await withCheckedThrowingContinuation { answer in
            let start = state.withLock { state in
                state.waiting.append(Request(work: work, size: size, answer: answer))
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
                let outcomes = try await commit(group.map(\.work))
                for (request, outcome) in zip(group, outcomes) { request.answer.resume(with: outcome) }
            } catch {
                for request in group { request.answer.resume(throwing: error) }
            }
        }
    }

    /// The requests waiting, up to `maxSize` (at least one request); `nil` when none waits, which ends
    /// this drain.
    private func nextGroup() -> [Request]? {
        state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.committing = false
                return nil
            }
            var size = 0
            var taken = 0
            while taken < state.waiting.count, taken == 0 || size + state.waiting[taken].size <= maxSize {
                size += state.waiting[taken].size
                taken += 1
            }
            let group = Array(state.waiting.prefix(taken))
            state.waiting.removeFirst(taken)
            return group
        }
    }
}
