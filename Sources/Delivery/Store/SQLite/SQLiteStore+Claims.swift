import Foundation
import GRDB

/// The relay's side of the store: claims of due heads, settlements, the next due time.
extension SQLiteStore {
    package func claim(destination: String, limit: Int, now: Date) async throws -> [ClaimedJob] {
        let owner = owner
        // A claim lost to power loss is harmless: claims are released at start.
        return try await commits.write(durable: false) { db in
            // One cached statement: pick what is due and mark it claimed, returning the rows. Only heads
            // (each user's oldest pending job) are in `job_due`, so a user's jobs go out in order and
            // the round reads no more rows than it claims.
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        UPDATE job SET claimed_by = ?
                        WHERE id IN (
                            SELECT id FROM job INDEXED BY job_due
                            WHERE destination = ? AND state = 'pending' AND claimed_by IS NULL AND is_head = 1
                              AND next_attempt_at <= ?
                            ORDER BY next_attempt_at, id
                            LIMIT ?)
                        RETURNING id, destination, ordering_key, kind, payload, attempts, created_at, first_attempt_at,
                            last_status, last_attempt_key, next_attempt_at
                        """
                ),
                arguments: [owner, destination, now.timeIntervalSince1970, limit]
            )
            // RETURNING gives no order: put the jobs back in due order.
            return rows.map { (due: $0[10] as Double, job: Self.claimedJob($0)) }
                .sorted { ($0.due, $0.job.id) < ($1.due, $1.job.id) }
                .map(\.job)
        }
    }

    /// A row of the claim's RETURNING list, read by position (a lookup by name costs more than the read).
    private static func claimedJob(_ row: Row) -> ClaimedJob {
        ClaimedJob(
            id: row[0],
            destination: row[1],
            orderingKey: (row[2] as String).isEmpty ? nil : row[2],
            kind: row[3],
            payload: row[4],
            attempts: row[5],
            createdAt: Date(timeIntervalSince1970: row[6]),
            firstAttemptAt: (row[7] as Double?).map(Date.init(timeIntervalSince1970:)),
            lastStatus: row[8],
            lastAttemptKey: row[9]
        )
    }

    package func settle(_ settlements: [Settlement]) async throws {
        guard !settlements.isEmpty else { return }
        // A settlement lost to power loss means one resend with the same ids, which destinations dedupe.
        try await commits.write(durable: false) { db in
            var statements = try SettleStatements(db)
            for settlement in settlements { try Self.apply(settlement, with: &statements, db: db) }
        }
    }

    /// The statements every settlement runs, looked up once per call: GRDB's statement cache is keyed by
    /// the SQL text, hashed and compared on each lookup. Bound through the C API, like the inserts: the
    /// relay settles every job it sends.
    private struct SettleStatements {
        var update: RawStatement
        /// The job left its user's queue: the next one, if any, is the head now. One never attempted was
        /// due when it was queued and is due now: a wall clock that went back since does not hold it.
        var advance: RawStatement
        /// The job stays queued (a retry, a hold, a release): it stays the head, unless a job older than it
        /// was replayed from the dead-letter queue while it was claimed, which then takes the mark.
        var handOver: RawStatement
        /// Records an acknowledged trigger in the funnel, with its cause; made on first use (only trigger
        /// settlements need it).
        var acknowledge: RawStatement?

        mutating func acknowledged(_ transactionId: String, at: Double, db: Database) throws {
            if acknowledge == nil {
                // A transaction without a user (not addressed to a subscriber) is not anyone's notification.
                acknowledge = RawStatement(
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO funnel_trigger(transaction_id, user_id, workflow, trigger_event, trigger_message_id,
                                                       context, triggered_at)
                            SELECT transaction_id, user_id, workflow, event_name, message_id, context, ?2
                            FROM correlation WHERE transaction_id = ?1 AND user_id != ''
                            """
                    ),
                    db: db
                )
            }
            acknowledge?.bind(transactionId)
            acknowledge?.bind(at)
            try acknowledge?.run()
        }

        init(_ db: Database) throws {
            update = RawStatement(
                try db.cachedStatement(
                    sql: """
                        UPDATE job SET claimed_by = NULL, state = ?, attempts = attempts + ?,
                            next_attempt_at = COALESCE(?, next_attempt_at),
                            first_attempt_at = COALESCE(first_attempt_at, ?), last_attempt_at = ?,
                            last_status = ?, last_attempt_key = CASE WHEN ? THEN ? ELSE last_attempt_key END,
                            reason = COALESCE(?, reason), settled_at = ?
                        WHERE id = ?
                        """
                ),
                db: db
            )
            advance = RawStatement(
                try db.cachedStatement(
                    sql: """
                        UPDATE job SET is_head = 1,
                            next_attempt_at = CASE WHEN last_attempt_at IS NULL THEN MIN(next_attempt_at, ?2) ELSE next_attempt_at END
                        WHERE id = (SELECT MIN(o.id) FROM job AS s, job AS o INDEXED BY job_open
                                    WHERE s.id = ?1 AND o.destination = s.destination
                                      AND o.ordering_key = s.ordering_key AND o.state = 'pending')
                        """
                ),
                db: db
            )
            handOver = RawStatement(
                try db.cachedStatement(
                    sql: """
                        WITH oldest(id) AS (SELECT MIN(o.id) FROM job AS s, job AS o INDEXED BY job_open
                                            WHERE s.id = ?1 AND o.destination = s.destination
                                              AND o.ordering_key = s.ordering_key AND o.state = 'pending')
                        UPDATE job SET is_head = (id != ?1)
                        WHERE id IN (?1, (SELECT id FROM oldest)) AND (SELECT id FROM oldest) < ?1
                        """
                ),
                db: db
            )
        }
    }

    private static func apply(_ settlement: Settlement, with statements: inout SettleStatements, db: Database) throws {
        let now = Date().timeIntervalSince1970
        let attempt = settlement.attempt
        let counts: Bool
        var state = "pending"
        var next: Double? = nil
        var reason: String? = nil
        switch settlement.outcome {
        case .release:
            try db.execute(sql: "UPDATE job SET claimed_by = NULL WHERE id = ?", arguments: [settlement.jobId])
            statements.handOver.bind(settlement.jobId)
            try statements.handOver.run()
            return
        case .delivered: (state, counts) = ("delivered", true)
        case .dryRun: (state, counts) = ("dry_run", true)
        case .retry(let at): (next, counts) = (at.timeIntervalSince1970, true)
        case .hold(let until): (next, counts) = (until.timeIntervalSince1970, false)
        case .deadLetter(let why): (state, reason, counts) = ("dead", why, true)
        }
        let at = attempt?.at.timeIntervalSince1970 ?? now
        statements.update.bind(state)
        statements.update.bind(Int64(counts ? 1 : 0))
        statements.update.bind(next)
        statements.update.bind(at)
        statements.update.bind(at)
        statements.update.bind(attempt?.status.map(Int64.init))
        // The key this attempt sent, none for a bulk request (it carries no key of each event's own);
        // a settlement without an attempt keeps the last one.
        statements.update.bind(Int64(attempt == nil ? 0 : 1))
        statements.update.bind(attempt?.attemptKey)
        statements.update.bind(reason)
        statements.update.bind(state == "pending" ? nil : now)
        statements.update.bind(settlement.jobId)
        try statements.update.run()
        // A job settles delivered once (a resend after a crash settles then), so its trigger is recorded once.
        if state == "delivered", let transactionId = settlement.acknowledged {
            try statements.acknowledged(transactionId, at: at, db: db)
        }
        if state == "delivered", let follow = settlement.follow {
            try db.execute(
                sql: "INSERT OR IGNORE INTO follow(transaction_id, since, next_look_at) VALUES (?, ?, ?)",
                arguments: [follow.transactionId, at, follow.firstLookAt.timeIntervalSince1970]
            )
        }
        if state != "pending" {
            statements.advance.bind(settlement.jobId)
            statements.advance.bind(at)
            try statements.advance.run()
        } else {
            statements.handOver.bind(settlement.jobId)
            try statements.handOver.run()
        }
        // Successful attempts leave their trace in the job row; only failures are kept one by one,
        // which is what an operator reads in the dead-letter queue.
        if let attempt, state != "delivered", state != "dry_run" {
            let outcome: String
            switch settlement.outcome {
            case .hold: outcome = "hold"
            case .deadLetter: outcome = "dead"
            default: outcome = "retry"
            }
            // The attempt before this one keeps its status, reason and key but gives up its request and
            // answer, unless it was the first: a job retried for a day is attempted ~300 times, and with
            // up to 66 KB in each row 20,000 users' heads wrote ~18 GB while a destination was down. The
            // first attempt and the latest keep theirs; every attempt's outcome is kept.
            try db.execute(
                sql: """
                    UPDATE attempt SET request = NULL, response = NULL
                    WHERE rowid = (SELECT MAX(rowid) FROM attempt WHERE job_id = ?1)
                      AND rowid != (SELECT MIN(rowid) FROM attempt WHERE job_id = ?1)
                      AND (request IS NOT NULL OR response IS NOT NULL)
                    """,
                arguments: [settlement.jobId]
            )
            try db.execute(
                sql: """
                    INSERT INTO attempt(job_id, at, status, reason, response, attempt_key, request, outcome)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    settlement.jobId, at, attempt.status, attempt.reason, attempt.response, attempt.attemptKey,
                    attempt.request, outcome,
                ]
            )
        }
    }

    package func releaseAllClaims() async throws -> Int {
        try await commits.write(durable: false) { db in
            let released = try Int64.fetchAll(
                db,
                sql: "UPDATE job SET claimed_by = NULL WHERE state = 'pending' AND claimed_by IS NOT NULL RETURNING id"
            )
            // A dead letter replayed while its user's head was claimed by a process that then died is older
            // than that head: released like any other claim, the head hands the mark over to it.
            var statements = try SettleStatements(db)
            for id in released {
                statements.handOver.bind(id)
                try statements.handOver.run()
            }
            return released.count
        }
    }

    package func scheduleSkew(destination: String, now: Date) async throws -> TimeInterval? {
        try await pool.read { db in
            // From the latest due time down: retries and holds (attempted) lie ahead legitimately and are
            // stepped over.
            try Double.fetchOne(
                db,
                sql: """
                    SELECT next_attempt_at FROM job INDEXED BY job_due
                    WHERE destination = ? AND state = 'pending' AND claimed_by IS NULL AND is_head = 1
                      AND last_attempt_at IS NULL AND next_attempt_at > ?
                    ORDER BY next_attempt_at DESC LIMIT 1
                    """,
                arguments: [destination, now.timeIntervalSince1970]
            ).map { $0 - now.timeIntervalSince1970 }
        }
    }

    package func moveSchedule(
        destinations: [String],
        back seconds: TimeInterval,
        now: @escaping @Sendable () -> Date,
        settledSince: Date?
    ) async throws -> Int {
        try await commits.write(durable: false) { db in
            let now = now().timeIntervalSince1970
            // Nothing attempted in an empty range: without `settledSince`, every due time after `now` moves.
            let since = settledSince?.timeIntervalSince1970 ?? now + 1
            // Only heads are scheduled: a job behind one that was never attempted is due from the moment it
            // becomes the head (see `advance`).
            var moved = 0
            for destination in destinations {
                try db.execute(
                    sql: """
                        UPDATE job SET next_attempt_at = next_attempt_at - ?1
                        WHERE id IN (SELECT id FROM job INDEXED BY job_due
                                     WHERE destination = ?2 AND state = 'pending' AND claimed_by IS NULL
                                       AND is_head = 1 AND next_attempt_at > ?3)
                          AND (last_attempt_at IS NULL OR last_attempt_at NOT BETWEEN ?4 AND ?3)
                        """,
                    arguments: [seconds, destination, now, since]
                )
                moved += db.changesCount
            }
            return moved
        }
    }

    package func nextDue(destination: String) async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(
                db,
                sql: """
                    SELECT MIN(next_attempt_at) FROM job INDEXED BY job_due
                    WHERE destination = ? AND state = 'pending' AND claimed_by IS NULL AND is_head = 1
                    """,
                arguments: [destination]
            ).map(Date.init(timeIntervalSince1970:))
        }
    }
}
