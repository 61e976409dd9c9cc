import Foundation

/// The in-memory store's state and rules, as a value: each operation is a mutating method given the
/// time, with no lock, clock or task inside (`InMemoryStore` keeps one behind a `Mutex`).
///
/// The rules are the SQLite store's, held to by the same conformance suite. Each destination and
/// ordering key has a lane of pending jobs in id order; its oldest job is the lane's head, claimable while
/// no job of the lane is claimed. SQLite marks heads in a column; here the head is derived, which gives the
/// same answers: a claimed job keeps its lane closed however old a replayed job behind it is.
struct MemoryQueue: Sendable {
    /// The pending jobs of one destination and ordering key.
    struct Lane: Sendable {
        /// Oldest (lowest id) first.
        var pending: [Int64] = []
        /// At most one, the head when it was claimed; a replay may queue older jobs before it since.
        var claimed: Set<Int64> = []

        /// The job a claim may take: the oldest, while none is claimed.
        var head: Int64? { claimed.isEmpty ? pending.first : nil }
    }

    private(set) var jobs: [Int64: MemoryJob] = [:]
    /// Destination → ordering key → lane; a lane with no pending job is dropped.
    private(set) var lanes: [String: [String: Lane]] = [:]
    private var lastId: Int64 = 0
    /// Dedupe keys, with when each was first recorded.
    private(set) var dedupe: [String: Date] = [:]
    /// Bound keys, with their value and when they were bound; pruned like dedupe keys.
    private(set) var bindings: [String: (value: String, at: Date)] = [:]
    /// Correlations by transaction, with when each was recorded.
    private(set) var correlations: [String: (correlation: Correlation, at: Date)] = [:]
    /// Each destination's recorded hold state.
    var destinationStates: [String: (held: Bool, reason: String?)] = [:]

    /// See `DeliveryQueue.enqueue(_:binding:)`. A binding conflict throws before anything changes.
    mutating func enqueue(_ newJobs: [NewJob], binding: KeyBinding?, now: Date) throws -> [EnqueueResult] {
        if let binding {
            if let bound = bindings[binding.key] {
                guard bound.value == binding.value else { throw BindingConflict(key: binding.key) }
            } else {
                bindings[binding.key] = (binding.value, now)
            }
        }
        return newJobs.map { enqueue($0, now: now) }
    }

    private mutating func enqueue(_ job: NewJob, now: Date) -> EnqueueResult {
        var duplicate = false
        // Every key is recorded, also a duplicate's other keys: they were seen.
        for key in job.dedupeKeys {
            if dedupe[key] == nil { dedupe[key] = now } else { duplicate = true }
        }
        if let cause = job.correlation {
            if correlations[cause.transactionId] == nil { correlations[cause.transactionId] = (cause, now) } else { duplicate = true }
        }
        if duplicate { return .duplicate }
        lastId += 1
        var linked = job
        if let transaction = job.cause, let cause = correlations[transaction]?.correlation {
            linked.payload = cause.linking(job.payload)
        }
        let queued = MemoryJob(id: lastId, job: linked, now: now)
        jobs[queued.id] = queued
        if queued.state == .pending {
            lanes[queued.destination, default: [:]][queued.orderingKey, default: Lane()].pending.append(queued.id)
        }
        return .accepted(queued.id)
    }

    /// The heads of `destination`'s lanes: its claimable jobs, due or not.
    private func heads(of destination: String) -> [MemoryJob] {
        (lanes[destination] ?? [:]).values.compactMap { $0.head.flatMap { jobs[$0] } }
    }

    /// See `DeliveryQueue.claim`.
    mutating func claim(destination: String, limit: Int, now: Date) -> [ClaimedJob] {
        let due = heads(of: destination).filter { $0.nextAttemptAt <= now }
            .sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
            .prefix(max(0, limit))
        for job in due { lanes[destination]?[job.orderingKey]?.claimed.insert(job.id) }
        return due.map(\.claimedJob)
    }

    /// See `DeliveryQueue.settle`; `now` is when the settlement commits.
    mutating func settle(_ settlements: [Settlement], now: Date) {
        for settlement in settlements { settle(settlement, now: now) }
    }

    private mutating func settle(_ settlement: Settlement, now: Date) {
        guard var job = jobs[settlement.jobId] else { return }
        lanes[job.destination]?[job.orderingKey]?.claimed.remove(job.id)
        let attempt = settlement.attempt
        let at = attempt?.at ?? now
        let counts: Bool
        let failure: MemoryJob.AttemptOutcome?
        switch settlement.outcome {
        case .release: return
        case .delivered: (job.state, counts, failure) = (.delivered, true, nil)
        case .dryRun: (job.state, counts, failure) = (.dryRun, true, nil)
        case .retry(let next): (job.nextAttemptAt, counts, failure) = (next, true, .retry)
        case .hold(let until): (job.nextAttemptAt, counts, failure) = (until, false, .hold)
        case .deadLetter(let reason): (job.state, job.reason, counts, failure) = (.dead, reason, true, .dead)
        }
        if counts { job.attempts += 1 }
        job.firstAttemptAt = job.firstAttemptAt ?? at
        job.lastAttemptAt = at
        job.lastStatus = attempt?.status
        // A settlement without an attempt (a bulk request's event) keeps the key sent before.
        if let attempt { job.lastAttemptKey = attempt.attemptKey }
        job.settledAt = job.state == .pending ? nil : now
        if let attempt, let failure {
            // The first failed attempt and the latest keep their request and answer; those between keep
            // their outcome only, as in SQLite, so a job retried for a day does not hold hundreds of requests.
            if job.history.count > 1 {
                job.history[job.history.count - 1].record.request = nil
                job.history[job.history.count - 1].record.response = nil
            }
            job.history.append((attempt, failure))
        }
        jobs[job.id] = job
        if job.state != .pending { leaveLane(job, settledAt: at) }
    }

    /// Takes a settled job out of its lane. The next job, if it was never attempted, was due when it was
    /// queued and is due now: a wall clock set back meanwhile does not hold it.
    private mutating func leaveLane(_ job: MemoryJob, settledAt at: Date) {
        guard var lane = lanes[job.destination]?[job.orderingKey] else { return }
        lane.pending.removeAll { $0 == job.id }
        lane.claimed.remove(job.id)
        lanes[job.destination]?[job.orderingKey] = lane.pending.isEmpty ? nil : lane
        if let next = lane.pending.first, jobs[next]?.lastAttemptAt == nil, let due = jobs[next]?.nextAttemptAt {
            jobs[next]?.nextAttemptAt = min(due, at)
        }
    }

    /// See `DeliveryQueue.releaseAllClaims`.
    mutating func releaseAllClaims() -> Int {
        var released = 0
        for (destination, keys) in lanes {
            for (key, lane) in keys where !lane.claimed.isEmpty {
                released += lane.claimed.count
                lanes[destination]?[key]?.claimed = []
            }
        }
        return released
    }

    /// See `DeliveryQueue.nextDue`.
    func nextDue(destination: String) -> Date? {
        heads(of: destination).map(\.nextAttemptAt).min()
    }

    /// See `StoreMaintenance.scheduleSkew`.
    func scheduleSkew(destination: String, now: Date) -> TimeInterval? {
        heads(of: destination).filter { $0.lastAttemptAt == nil && $0.nextAttemptAt > now }
            .map { $0.nextAttemptAt.timeIntervalSince(now) }.max()
    }

    /// See `StoreMaintenance.moveSchedule`.
    mutating func moveSchedule(destinations: [String], back seconds: TimeInterval, now: Date, settledSince: Date?) -> Int {
        var moved = 0
        for destination in destinations {
            for job in heads(of: destination) where job.nextAttemptAt > now {
                // Attempted since the step: its due time was computed from the clock as set back already.
                if let last = job.lastAttemptAt, let since = settledSince, since <= last, last <= now { continue }
                jobs[job.id]?.nextAttemptAt = job.nextAttemptAt.addingTimeInterval(-seconds)
                moved += 1
            }
        }
        return moved
    }

    func correlation(transactionId: String) -> Correlation? {
        correlations[transactionId]?.correlation
    }

    /// Puts `id` back in its lane in id order (a replayed dead letter): a replay may queue a job older
    /// than those queued since.
    mutating func requeue(_ id: Int64) {
        guard let job = jobs[id] else { return }
        var lane = lanes[job.destination]?[job.orderingKey] ?? Lane()
        let index = lane.pending.firstIndex { $0 > id } ?? lane.pending.endIndex
        lane.pending.insert(id, at: index)
        lanes[job.destination, default: [:]][job.orderingKey] = lane
    }

    mutating func update(_ job: MemoryJob) { jobs[job.id] = job }

    /// Forgets a job no longer queued (pruned or purged).
    mutating func remove(_ id: Int64) { jobs[id] = nil }

    /// Forgets the dedupe keys and bindings recorded before `cutoff`; returns how many.
    mutating func forgetDedupeKeys(before cutoff: Date) -> Int {
        let old = dedupe.filter { $0.value < cutoff }.map(\.key)
        for key in old { dedupe[key] = nil }
        let oldBindings = bindings.filter { $0.value.at < cutoff }.map(\.key)
        for key in oldBindings { bindings[key] = nil }
        return old.count + oldBindings.count
    }

    /// Forgets the correlations recorded before `cutoff`; returns how many.
    mutating func forgetCorrelations(before cutoff: Date) -> Int {
        let old = correlations.filter { $0.value.at < cutoff }.map(\.key)
        for key in old { correlations[key] = nil }
        return old.count
    }
}
