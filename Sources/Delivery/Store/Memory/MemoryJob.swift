import Foundation

/// One job as the in-memory store keeps it: what the SQLite store's `job` row holds, with its attempts.
struct MemoryJob: Sendable {
    enum State: String, Sendable {
        case pending
        case delivered
        case dryRun = "dry_run"
        case dead
    }

    /// What became of a failed attempt, as `stats` counts them.
    enum AttemptOutcome: Sendable {
        case retry, hold, dead
    }

    let id: Int64
    let destination: String
    /// The job's key, `""` for a job for no one: every job of a destination is in some lane.
    let orderingKey: String
    let kind: String
    let payload: Data
    let event: Data?
    let createdAt: Date
    var state: State
    /// Attempts counted (a hold counts none).
    var attempts = 0
    var nextAttemptAt: Date
    var firstAttemptAt: Date?
    /// The latest attempt, a hold included: a job held or attempted is not taken for a clock set back.
    var lastAttemptAt: Date?
    var lastStatus: Int?
    var lastAttemptKey: String?
    var reason: String?
    /// When it was delivered, settled as a dry run, or dead-lettered.
    var settledAt: Date?
    /// The attempts that did not deliver, oldest first.
    var history: [(record: AttemptRecord, outcome: AttemptOutcome)] = []

    init(id: Int64, job: NewJob, now: Date) {
        self.id = id
        destination = job.destination
        orderingKey = job.orderingKey ?? ""
        kind = job.kind
        payload = job.payload
        event = job.event
        createdAt = now
        nextAttemptAt = now
        if let reason = job.deadLetterReason {
            state = .dead
            self.reason = reason
            settledAt = now
        } else {
            state = .pending
        }
    }

    var claimedJob: ClaimedJob {
        ClaimedJob(
            id: id,
            destination: destination,
            orderingKey: orderingKey.isEmpty ? nil : orderingKey,
            kind: kind,
            payload: payload,
            attempts: attempts,
            createdAt: createdAt,
            firstAttemptAt: firstAttemptAt,
            lastStatus: lastStatus,
            lastAttemptKey: lastAttemptKey
        )
    }

    var deadLetter: DeadLetter {
        DeadLetter(
            id: id,
            destination: destination,
            user: orderingKey,
            kind: kind,
            reason: reason ?? "",
            status: lastStatus,
            attempts: attempts,
            createdAt: createdAt,
            firstAttemptAt: firstAttemptAt,
            lastAttemptAt: lastAttemptAt,
            deadLetteredAt: settledAt
        )
    }
}
