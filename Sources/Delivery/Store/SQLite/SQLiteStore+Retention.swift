import Foundation
import GRDB

extension SQLiteStore {
    /// Deletes delivered (and dry-run) jobs and dedupe keys older than `retention`, dead letters
    /// dead-lettered more than `deadLetterRetention` ago (`BRIDGE_DLQ_RETENTION`), and correlations
    /// older than `correlationRetention` (or `retention` when that is longer), in batches of `batchSize`
    /// rows: each batch is its own short transaction in the group commit, so ingest never waits behind a
    /// long delete. A job's attempts go with it (`ON DELETE CASCADE`). Pending jobs are never pruned.
    /// SQLite reuses the freed pages, so the file stops growing under steady traffic.
    package func prune(
        now: Date,
        retention: Duration,
        correlationRetention: Duration,
        deadLetterRetention: Duration = Retention.Configuration().deadLetterRetention,
        batchSize: Int = 1000
    ) async throws -> PruneResult {
        var result = PruneResult()
        let jobCutoff = now.timeIntervalSince1970 - retention.timeInterval
        // A correlation is also the dedupe entry of the job it came with: it is kept at least as long as
        // dedupe keys are.
        let correlationCutoff = now.timeIntervalSince1970 - max(correlationRetention, retention).timeInterval
        while true {
            let deleted = try await commits.write(durable: false) { db in
                try db.execute(
                    sql: """
                        DELETE FROM job WHERE id IN (
                            SELECT id FROM job INDEXED BY job_done
                            WHERE state IN ('delivered', 'dry_run') AND settled_at < ? LIMIT ?)
                        """,
                    arguments: [jobCutoff, batchSize]
                )
                return db.changesCount
            }
            result.jobs += deleted
            if deleted < batchSize { break }
        }
        let deadCutoff = now.timeIntervalSince1970 - deadLetterRetention.timeInterval
        while true {
            // By the time it was dead-lettered (`settled_at`), not queued: an operator gets the whole
            // retention to look at a letter, however long it was retried before.
            let deleted = try await commits.write(durable: false) { db in
                try db.execute(
                    sql: """
                        DELETE FROM job WHERE id IN (
                            SELECT id FROM job INDEXED BY job_dead WHERE state = 'dead' AND settled_at < ? LIMIT ?)
                        """,
                    arguments: [deadCutoff, batchSize]
                )
                return db.changesCount
            }
            result.deadLetters += deleted
            if deleted < batchSize { break }
        }
        while true {
            let deleted = try await commits.write(durable: false) { db in
                try db.execute(
                    sql: "DELETE FROM dedupe WHERE key IN (SELECT key FROM dedupe WHERE created_at < ? AND key != 'bridge:probe' LIMIT ?)",
                    arguments: [jobCutoff, batchSize]
                )
                return db.changesCount
            }
            result.dedupeKeys += deleted
            if deleted < batchSize { break }
        }
        while true {
            let deleted = try await commits.write(durable: false) { db in
                try db.execute(
                    sql:
                        "DELETE FROM correlation WHERE transaction_id IN (SELECT transaction_id FROM correlation WHERE created_at < ? LIMIT ?)",
                    arguments: [correlationCutoff, batchSize]
                )
                return db.changesCount
            }
            result.correlations += deleted
            if deleted < batchSize { break }
        }
        while true {
            // Followed no longer than its correlation is kept: a feedback event without its cause is
            // not worth a look. Ended follows go with the same cutoff, so a late webhook still dedupes.
            let deleted = try await commits.write(durable: false) { db in
                let ids = try String.fetchAll(
                    db,
                    sql:
                        "DELETE FROM follow WHERE transaction_id IN (SELECT transaction_id FROM follow INDEXED BY follow_since WHERE since < ? LIMIT ?) RETURNING transaction_id",
                    arguments: [correlationCutoff, batchSize]
                )
                for id in ids {
                    try db.execute(sql: "DELETE FROM follow_message WHERE transaction_id = ?", arguments: [id])
                }
                return ids.count
            }
            result.follows += deleted
            if deleted < batchSize { break }
        }
        return result
    }

    /// Pages in use by the database file (size without free pages), for growth checks.
    package func usedPages() async throws -> Int {
        try await pool.read { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            return pages - free
        }
    }

    /// Pages in the database file, free ones included.
    package func filePages() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
    }
}
