import Foundation
import GRDB

/// Reads what `bridge migrate-store` copies to another store, in pages ordered by their keys, from a
/// reader connection: a copy of a live store reads a consistent page at a time and never waits for a write.
extension SQLiteStore {
    /// Up to `limit` queued and dead-lettered jobs with ids above `id`, by id, with their failed attempts.
    package func exportJobs(after id: Int64, limit: Int) async throws -> [ExportedJob] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, destination, ordering_key, kind, payload, event, state, attempts, next_attempt_at, created_at,
                           first_attempt_at, last_attempt_at, last_status, last_attempt_key, reason, settled_at
                    FROM job WHERE id > ? AND state IN ('pending', 'dead') ORDER BY id LIMIT ?
                    """,
                arguments: [id, limit]
            )
            return try rows.map { row in
                let id: Int64 = row["id"]
                let failures = try Row.fetchAll(
                    db,
                    sql: "SELECT at, status, reason, response, attempt_key, request, outcome FROM attempt WHERE job_id = ? ORDER BY rowid",
                    arguments: [id]
                ).map { attempt in
                    ExportedAttempt(
                        record: AttemptRecord(
                            at: Date(timeIntervalSince1970: attempt["at"]),
                            status: attempt["status"],
                            reason: attempt["reason"],
                            response: attempt["response"],
                            attemptKey: attempt["attempt_key"],
                            request: attempt["request"]
                        ),
                        outcome: attempt["outcome"]
                    )
                }
                return ExportedJob(
                    id: id,
                    destination: row["destination"],
                    orderingKey: row["ordering_key"],
                    kind: row["kind"],
                    payload: row["payload"],
                    event: row["event"],
                    state: row["state"],
                    attempts: row["attempts"],
                    nextAttemptAt: row["next_attempt_at"],
                    createdAt: row["created_at"],
                    firstAttemptAt: row["first_attempt_at"],
                    lastAttemptAt: row["last_attempt_at"],
                    lastStatus: row["last_status"],
                    lastAttemptKey: row["last_attempt_key"],
                    reason: row["reason"],
                    settledAt: row["settled_at"],
                    failures: failures
                )
            }
        }
    }

    /// Up to `limit` dedupe keys (bindings included) sorting after `key`, in order; the readiness probe's
    /// own key stays behind.
    package func exportKeys(after key: String, limit: Int) async throws -> [ExportedKey] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT key, created_at FROM dedupe WHERE key > ? AND key != 'bridge:probe' ORDER BY key LIMIT ?",
                arguments: [key, limit]
            ).map { ExportedKey(key: $0["key"], createdAt: $0["created_at"]) }
        }
    }

    /// Up to `limit` correlations whose transaction sorts after `transactionId`, in order.
    package func exportCorrelations(after transactionId: String, limit: Int) async throws -> [ExportedCorrelation] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM correlation WHERE transaction_id > ? ORDER BY transaction_id LIMIT ?",
                arguments: [transactionId, limit]
            ).map { ExportedCorrelation(correlation: Self.correlation($0), createdAt: $0["created_at"]) }
        }
    }
}
