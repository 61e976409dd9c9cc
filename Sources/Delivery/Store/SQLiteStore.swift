import Foundation
import GRDB

/// The embedded store: SQLite in WAL mode with `synchronous=FULL`, so a committed job survives
/// `kill -9` and power loss. Writes go through a group commit.
public final class SQLiteStore: DeliveryStore {
    /// The file name inside the data directory.
    public static let fileName = "bridge.sqlite"

    let pool: DatabasePool
    let commits: GroupCommit
    /// Marks this process's claims; claims with another owner belong to a process that died.
    private let owner: String

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB turns WAL on with synchronous=NORMAL, which can lose the last commits on power loss.
            // An acknowledged event must survive that, so the writer connection runs with FULL.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try Self.migrator.migrate(pool)
        } catch {
            throw StoreError("cannot open the store at \(path): \(error)")
        }
        commits = GroupCommit(writer: pool)
        owner = UUID().uuidString
    }

    /// Opens the store in `directory`, creating the directory if needed.
    public convenience init(directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError("cannot create the data directory \(directory): \(error.localizedDescription)")
        }
        try self.init(path: (directory as NSString).appendingPathComponent(Self.fileName))
    }

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

    public func claim(destination: String, limit: Int, now: Date) async throws -> [ClaimedJob] {
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
            orderingKey: row[2],
            kind: row[3],
            payload: row[4],
            attempts: row[5],
            createdAt: Date(timeIntervalSince1970: row[6]),
            firstAttemptAt: (row[7] as Double?).map(Date.init(timeIntervalSince1970:)),
            lastStatus: row[8],
            lastAttemptKey: row[9]
        )
    }

    public func settle(_ settlements: [Settlement]) async throws {
        guard !settlements.isEmpty else { return }
        // A settlement lost to power loss means one resend with the same ids, which destinations dedupe.
        try await commits.write(durable: false) { db in
            for settlement in settlements { try Self.apply(settlement, db: db) }
        }
    }

    private static func apply(_ settlement: Settlement, db: Database) throws {
        let now = Date().timeIntervalSince1970
        let attempt = settlement.attempt
        let counts: Bool
        var state = "pending"
        var next: Double? = nil
        var reason: String? = nil
        switch settlement.outcome {
        case .release:
            try db.execute(sql: "UPDATE job SET claimed_by = NULL WHERE id = ?", arguments: [settlement.jobId])
            return
        case .delivered: (state, counts) = ("delivered", true)
        case .dryRun: (state, counts) = ("dry_run", true)
        case .retry(let at): (next, counts) = (at.timeIntervalSince1970, true)
        case .hold(let until): (next, counts) = (until.timeIntervalSince1970, false)
        case .deadLetter(let why): (state, reason, counts) = ("dead", why, true)
        }
        let at = attempt?.at.timeIntervalSince1970 ?? now
        // Bound through the C API, like the inserts: the relay settles every job it sends.
        var update = RawStatement(
            try db.cachedStatement(
                sql: """
                    UPDATE job SET claimed_by = NULL, state = ?, attempts = attempts + ?,
                        next_attempt_at = COALESCE(?, next_attempt_at),
                        first_attempt_at = COALESCE(first_attempt_at, ?), last_attempt_at = ?,
                        last_status = ?, last_attempt_key = COALESCE(?, last_attempt_key),
                        reason = COALESCE(?, reason), settled_at = ?
                    WHERE id = ?
                    """
            ),
            db: db
        )
        update.bind(state)
        update.bind(Int64(counts ? 1 : 0))
        update.bind(next)
        update.bind(at)
        update.bind(at)
        update.bind(attempt?.status.map(Int64.init))
        update.bind(attempt?.attemptKey)
        update.bind(reason)
        update.bind(state == "pending" ? nil : now)
        update.bind(settlement.jobId)
        try update.run()
        if state != "pending" {
            // The job left its user's queue: the next one, if any, is the head now.
            var advance = RawStatement(
                try db.cachedStatement(
                    sql: """
                        UPDATE job SET is_head = 1
                        WHERE id = (SELECT MIN(o.id) FROM job AS s, job AS o INDEXED BY job_open
                                    WHERE s.id = ? AND o.destination = s.destination
                                      AND o.ordering_key = s.ordering_key AND o.state = 'pending')
                        """
                ),
                db: db
            )
            advance.bind(settlement.jobId)
            try advance.run()
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

    public func recordDestinationState(name: String, held: Bool, reason: String?) async throws {
        let now = Date().timeIntervalSince1970
        try await commits.write(durable: false) { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO destination_state(name, held, reason, updated_at) VALUES (?, ?, ?, ?)",
                arguments: [name, held, reason, now]
            )
        }
    }

    public func releaseAllClaims() async throws -> Int {
        try await commits.write(durable: false) { db in
            try db.execute(sql: "UPDATE job SET claimed_by = NULL WHERE state = 'pending' AND claimed_by IS NOT NULL")
            return db.changesCount
        }
    }

    public func nextDue(destination: String) async throws -> Date? {
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

    /// Below this much free space in the data directory the store reports itself not ready: SQLite
    /// fails a commit only once the disk is full, and an operator wants the warning before that.
    public static let minimumFreeBytes: Int64 = 8 * 1024 * 1024

    public func probe() async throws {
        let directory = (pool.path as NSString).deletingLastPathComponent
        if let free = (try? FileManager.default.attributesOfFileSystem(forPath: directory))?[.systemFreeSize] as? Int64,
            free < Self.minimumFreeBytes
        {
            throw StoreError("the disk holding \(directory) is almost full (\(free / 1024) KiB free)")
        }
        try await commits.write(durable: false) { db in
            try db.execute(
                sql: """
                    INSERT INTO dedupe(key, created_at) VALUES ('bridge:probe', 0)
                    ON CONFLICT(key) DO UPDATE SET created_at = excluded.created_at
                    """
            )
        }
    }
}
