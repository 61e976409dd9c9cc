import Foundation
import GRDB

/// Ingest's side of the store: jobs in, with their dedupe keys and correlations, in group commits.
extension SQLiteStore {
    public func enqueue(_ jobs: [NewJob]) async throws -> [EnqueueResult] {
        let now = Date().timeIntervalSince1970
        return try await commits.write { db in
            try jobs.map { job in try Self.insert(job, now: now, db: db) }
        }
    }

    public func enqueue<Note: Sendable>(
        correlating transactionId: String?,
        _ decide: @escaping @Sendable (Correlation?) -> (job: NewJob?, note: Note)
    ) async throws -> (note: Note, result: EnqueueResult?) {
        let now = Date().timeIntervalSince1970
        return try await commits.write { db in
            let cause = try transactionId.flatMap { try Self.correlation(transactionId: $0, db: db) }
            let (job, note) = decide(cause)
            return (note, try job.map { try Self.insert($0, now: now, db: db) })
        }
    }

    private static func insert(_ job: NewJob, now: Double, db: Database) throws -> EnqueueResult {
        // Cached statements bound through the C API: ingest runs these for every event on the one writer
        // thread, where compiling SQL, or GRDB's argument arrays, cost more than SQLite's own work.
        // One statement per dedupe key: a key already there makes the job a duplicate. The other keys of
        // a duplicate are remembered too, which is right: they were seen.
        var remember = RawStatement(
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO dedupe(key, created_at) VALUES (?, ?)"),
            db: db
        )
        var duplicate = false
        for key in job.dedupeKeys {
            remember.bind(key)
            remember.bind(now)
            try remember.run()
            if db.changesCount == 0 { duplicate = true }
        }
        if duplicate { return .duplicate }
        let dead = job.deadLetterReason
        var insert = RawStatement(
            try db.cachedStatement(
                sql: """
                    INSERT INTO job(destination, ordering_key, kind, payload, event, state, next_attempt_at, created_at,
                                    reason, settled_at, is_head)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,
                            NOT EXISTS (SELECT 1 FROM job INDEXED BY job_open
                                        WHERE destination = ?1 AND ordering_key = ?2 AND state = 'pending'))
                    """
            ),
            db: db
        )
        insert.bind(job.destination)
        insert.bind(job.orderingKey)
        insert.bind(job.kind)
        insert.bind(job.payload)
        insert.bind(job.event)
        insert.bind(dead == nil ? "pending" : "dead")
        insert.bind(now)
        insert.bind(now)
        insert.bind(dead)
        if dead == nil { insert.bindNull() } else { insert.bind(now) }
        try insert.run()
        let id = db.lastInsertedRowID
        if let correlation = job.correlation {
            var remember = RawStatement(
                try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO correlation(transaction_id, event_name, message_id, user_id, workflow,
                                                           created_at)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """
                ),
                db: db
            )
            remember.bind(correlation.transactionId)
            remember.bind(correlation.eventName)
            remember.bind(correlation.messageId)
            remember.bind(correlation.userId)
            remember.bind(correlation.workflow)
            remember.bind(now)
            try remember.run()
        }
        return .accepted(id)
    }

    public func correlation(transactionId: String) async throws -> Correlation? {
        try await pool.read { db in try Self.correlation(transactionId: transactionId, db: db) }
    }

    private static func correlation(transactionId: String, db: Database) throws -> Correlation? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM correlation WHERE transaction_id = ?"),
            arguments: [transactionId]
        ).map { row in
            Correlation(
                transactionId: row["transaction_id"],
                eventName: row["event_name"],
                messageId: row["message_id"],
                userId: row["user_id"],
                workflow: row["workflow"]
            )
        }
    }
}
