import Foundation

/// The dead-letter queue of the in-memory store (see `DeadLetterQueue`).
extension MemoryQueue {
    /// The dead letters `filter` means, oldest first, at most `filter.limit` (a negative limit is none, as
    /// in SQL).
    func deadLetters(_ filter: DeadLetterFilter) -> [MemoryJob] {
        let matching = jobs.values.filter { Self.matches($0, filter) }.sorted { $0.id < $1.id }
        guard let limit = filter.limit, limit >= 0 else { return matching }
        return Array(matching.prefix(limit))
    }

    func deadLetter(id: Int64) -> DeadLetterDetail? {
        guard let job = jobs[id], job.state == .dead else { return nil }
        return DeadLetterDetail(
            letter: job.deadLetter,
            event: job.event.map { String(decoding: $0, as: UTF8.self) },
            payload: String(decoding: job.payload, as: UTF8.self),
            attempts: job.history.map(\.record)
        )
    }

    /// Queues the matching dead letters again under their ids, as never attempted and due at `now`; their
    /// attempts and last status stay. A replayed job older than its lane's claimed job waits behind it,
    /// since the lane stays closed while a job is claimed.
    mutating func replay(_ filter: DeadLetterFilter, now: Date) -> Int {
        let replayed = deadLetters(filter)
        for var job in replayed {
            job.state = .pending
            job.nextAttemptAt = now
            job.reason = nil
            job.settledAt = nil
            job.firstAttemptAt = nil
            job.lastAttemptAt = nil
            update(job)
            requeue(job.id)
        }
        return replayed.count
    }

    mutating func purge(_ filter: DeadLetterFilter) -> Int {
        let purged = deadLetters(filter)
        for job in purged { remove(job.id) }
        return purged.count
    }

    /// Whether `job` is a dead letter `filter` means. `reason` matches text anywhere in the reason, as
    /// SQLite's `instr` does.
    static func matches(_ job: MemoryJob, _ filter: DeadLetterFilter) -> Bool {
        guard job.state == .dead else { return false }
        if let ids = filter.ids, !ids.contains(job.id) { return false }
        if let destination = filter.destination, job.destination != destination { return false }
        if let text = filter.reason, !text.isEmpty, !(job.reason ?? "").contains(text) { return false }
        if let since = filter.since, (job.settledAt ?? .distantPast) < since { return false }
        return true
    }
}
