import Foundation
import GRDB

/// Read-only views of the store for operators (`stats`, readiness) and tests.
extension SQLiteStore {
    /// `PRAGMA synchronous` of the writer connection (2 = FULL).
    package func synchronousMode() async throws -> Int {
        try await pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// `PRAGMA cache_size` of the writer connection (negative: KiB).
    package func writerCacheSize() async throws -> Int {
        try await pool.write { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? 0 }
    }

    /// `PRAGMA wal_autocheckpoint` of the writer connection, in pages.
    package func writerCheckpointPages() async throws -> Int {
        try await pool.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? 0 }
    }

    /// Jobs of `destination` not yet delivered or dead-lettered.
    package func pendingCount(destination: String) async throws -> Int {
        try await jobCount(destination: destination, where: "state = 'pending'")
    }

    /// Jobs of `destination` a relay has claimed and not yet settled (in flight, or held to gather).
    package func claimedCount(destination: String) async throws -> Int {
        try await jobCount(destination: destination, where: "state = 'pending' AND claimed_by IS NOT NULL")
    }

    private func jobCount(destination: String, where condition: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job WHERE destination = ? AND \(condition)", arguments: [destination]) ?? 0
        }
    }

    /// Jobs in the dead-letter queue.
    package func deadLetterCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job WHERE state = 'dead'") ?? 0 }
    }

    /// One job's state and reason, for tests and `dlq show`.
    package func jobState(id: Int64) async throws -> (state: String, reason: String?, attempts: Int)? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT state, reason, attempts FROM job WHERE id = ?", arguments: [id]).map {
                ($0["state"], $0["reason"], $0["attempts"])
            }
        }
    }

    /// The dedupe keys remembered (the readiness probe's own key aside), in order; for tests.
    package func dedupeKeys() async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT key FROM dedupe WHERE key != 'bridge:probe' ORDER BY key")
        }
    }

    /// The events the jobs of `destination` keep for the dead-letter queue, in queue order; for tests.
    package func keptEvents(destination: String) async throws -> [String] {
        try await pool.read { db in
            try Data.fetchAll(
                db,
                sql: "SELECT event FROM job WHERE destination = ? AND event IS NOT NULL ORDER BY id",
                arguments: [destination]
            )
            .map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Counts of jobs by state.
    package func stateCounts() async throws -> [String: Int] {
        try await pool.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM job GROUP BY state") {
                counts[row["state"]] = row["n"]
            }
            return counts
        }
    }
}
