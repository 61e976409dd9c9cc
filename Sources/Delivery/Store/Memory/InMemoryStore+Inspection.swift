/// Read-only views for tests, as `SQLiteStore` has them.
extension InMemoryStore {
    /// Jobs of `destination` not yet delivered or dead-lettered.
    package func pendingCount(destination: String) async throws -> Int {
        withQueue { queue in queue.lanes[destination]?.values.reduce(0) { $0 + $1.pending.count } ?? 0 }
    }

    /// Jobs of `destination` claimed and not yet settled.
    package func claimedCount(destination: String) async throws -> Int {
        withQueue { queue in queue.lanes[destination]?.values.reduce(0) { $0 + $1.claimed.count } ?? 0 }
    }

    /// Jobs in the dead-letter queue.
    package func deadLetterCount() async throws -> Int {
        withQueue { queue in queue.jobs.values.count(where: { $0.state == .dead }) }
    }

    /// One job's state (`pending`, `delivered`, `dry_run`, `dead`), reason and attempts.
    package func jobState(id: Int64) async throws -> (state: String, reason: String?, attempts: Int)? {
        withQueue { queue in queue.jobs[id].map { ($0.state.rawValue, $0.reason, $0.attempts) } }
    }

    /// The dedupe keys remembered, bindings as `key=value`, in order.
    package func dedupeKeys() async throws -> [String] {
        withQueue { queue in (Array(queue.dedupe.keys) + queue.bindings.map { "\($0.key)=\($0.value.value)" }).sorted() }
    }
}
