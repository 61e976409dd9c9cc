import Foundation
import GRDB
import JSON

/// Ingest's side of the store: jobs in, with their dedupe keys and correlations, in group commits.
extension SQLiteStore {
    package func enqueue(_ jobs: [NewJob], binding: KeyBinding?) async throws -> [EnqueueResult] {
        let now = Date().timeIntervalSince1970
        return try await commits.write { db in
            if let binding { try Self.bind(binding, now: now, db: db) }
            var insert = try Insert(db)
            return try jobs.map { job in try insert.run(job, now: now, db: db) }
        }
    }

    /// Records `binding` in the dedupe table as `key=value`, or throws `BindingConflict` when `key=` is
    /// there with another value. Kept with the dedupe keys, it is pruned with them.
    private static func bind(_ binding: KeyBinding, now: Double, db: Database) throws {
        let prefix = binding.key + "="
        // Every key starting with `prefix` sorts from it up to (not including) the same text ending in `>`,
        // the character after `=`: one index range, whatever the value.
        let upper = binding.key + ">"
        let bound = try String.fetchOne(
            db.cachedStatement(sql: "SELECT key FROM dedupe WHERE key >= ? AND key < ? LIMIT 1"),
            arguments: [prefix, upper]
        )
        let wanted = prefix + binding.value
        if let bound {
            guard bound == wanted else { throw BindingConflict(key: binding.key) }
            return
        }
        try db.execute(sql: "INSERT INTO dedupe(key, created_at) VALUES (?, ?)", arguments: [wanted, now])
    }

    /// The statements that queue a job, looked up once per commit rather than once per event: GRDB's
    /// statement cache is keyed by the SQL text, hashed and compared on every lookup.
    struct Insert {
        // Bound through the C API: ingest runs these for every event on the one writer thread, where
        // compiling SQL, or GRDB's argument arrays, cost more than SQLite's own work.
        /// One statement per dedupe key: a key already there makes the job a duplicate.
        var remember: RawStatement
        var job: RawStatement
        /// Records the job's cause; a transaction already recorded makes the job a duplicate too.
        var correlation: RawStatement
        /// Appends funnel steps; made on first use (only feedback events carry steps).
        var stepLog: RawStatement?
        /// Whether a feedback job's cause is recorded; made on first use. Most feedback names a
        /// transaction, and only a recorded one is read in full.
        var causeProbe: RawStatement?

        init(_ db: Database) throws {
            remember = RawStatement(
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO dedupe(key, created_at) VALUES (?, ?)"),
                db: db
            )
            job = RawStatement(
                try db.cachedStatement(
                    sql: """
                        INSERT INTO job(destination, ordering_key, kind, payload, event, state, next_attempt_at,
                                        created_at, reason, settled_at, is_head)
                        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,
                                NOT EXISTS (SELECT 1 FROM job INDEXED BY job_open
                                            WHERE destination = ?1 AND ordering_key = ?2 AND state = 'pending'))
                        """
                ),
                db: db
            )
            correlation = RawStatement(
                try db.cachedStatement(
                    sql: """
                        INSERT OR IGNORE INTO correlation(transaction_id, event_name, message_id, user_id, workflow,
                                                          created_at, context)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """
                ),
                db: db
            )
        }

        mutating func run(_ job: NewJob, now: Double, db: Database) throws -> EnqueueResult {
            var duplicate = false
            for key in job.dedupeKeys {
                remember.bind(key)
                remember.bind(now)
                try remember.run()
                // The other keys of a duplicate are remembered too, which is right: they were seen.
                if db.changesCount == 0 { duplicate = true }
            }
            if let cause = job.correlation {
                correlation.bind(cause.transactionId)
                correlation.bind(cause.eventName)
                correlation.bind(cause.messageId)
                correlation.bind(cause.userId)
                correlation.bind(cause.workflow)
                correlation.bind(now)
                if let context = cause.context {
                    correlation.bind(JSONValue.object(context).encodedString())
                } else {
                    correlation.bindNull()
                }
                try correlation.run()
                if db.changesCount == 0 { duplicate = true }
            }
            if duplicate { return .duplicate }
            var (payload, step) = (job.payload, job.step)
            if let transaction = job.cause {
                if try isRecorded(transaction, db: db), let cause = try SQLiteStore.correlation(transactionId: transaction, db: db) {
                    payload = cause.linking(payload)
                } else {
                    step = nil
                }
            }
            let dead = job.deadLetterReason
            self.job.bind(job.destination)
            // The column holds `""` for a job for no one.
            self.job.bind(job.orderingKey ?? "")
            self.job.bind(job.kind)
            self.job.bind(payload)
            self.job.bind(job.event)
            self.job.bind(dead == nil ? "pending" : "dead")
            self.job.bind(now)
            self.job.bind(now)
            self.job.bind(dead)
            if dead == nil { self.job.bindNull() } else { self.job.bind(now) }
            try self.job.run()
            let id = db.lastInsertedRowID
            if let step { try record(step, db: db) }
            return .accepted(id)
        }

        /// Whether a correlation is recorded for `transaction`: one index probe, through the C API.
        mutating func isRecorded(_ transaction: String, db: Database) throws -> Bool {
            if causeProbe == nil {
                causeProbe = RawStatement(
                    try db.cachedStatement(sql: "SELECT 1 FROM correlation WHERE transaction_id = ?"),
                    db: db
                )
            }
            causeProbe?.bind(transaction)
            return try causeProbe?.firstRow(columns: 1) != nil
        }
    }

    /// Read on a reader connection: the writer only commits.
    /// Read on the caller's thread, from a reader connection: one indexed lookup in WAL mode waits for no
    /// commit and takes microseconds, less than a hop to a reader's queue and back, which the novu port
    /// would pay on every webhook.
    package func correlation(transactionId: String) async throws -> Correlation? {
        try readHere { db in try Self.correlation(transactionId: transactionId, db: db) }
    }

    /// `pool.read` on the calling thread (GRDB's synchronous read), for reads short enough not to be
    /// worth a suspension.
    private func readHere<T>(_ read: (Database) throws -> T) throws -> T {
        try pool.read(read)
    }

    static func correlation(transactionId: String, db: Database) throws -> Correlation? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM correlation WHERE transaction_id = ?"),
            arguments: [transactionId]
        ).map(correlation)
    }

    /// A row of the `correlation` table.
    static func correlation(_ row: Row) -> Correlation {
        Correlation(
            transactionId: row["transaction_id"],
            eventName: row["event_name"],
            messageId: row["message_id"],
            userId: row["user_id"],
            workflow: row["workflow"],
            context: (row["context"] as String?).flatMap { try? JSONValue.parse(Data($0.utf8)) }?.objectValue
        )
    }
}
