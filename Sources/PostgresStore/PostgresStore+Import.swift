import Delivery
import Foundation
import PostgresNIO

/// Takes what `bridge migrate-store` copies from a SQLite store. Idempotent: a row the store holds already
/// is skipped, so a copy that stopped half way is finished by running it again.
extension PostgresStore {
    /// Copies `jobs` with their ids and failed attempts, in one transaction. A job whose id is taken by the
    /// same job (same destination, key and time queued: copied before) is skipped; by another job, the
    /// copy stops: ids decide a user's order, and this store holds other traffic already.
    package func importJobs(_ jobs: [ExportedJob]) async throws -> ImportCounts {
        try await transaction("copy \(jobs.count) job(s)") { connection in
            var counts = ImportCounts()
            for job in jobs {
                let status = job.lastStatus.map(Int64.init)
                let attempts = Int64(job.attempts)
                let inserted = try await self.count(
                    connection.query(
                        """
                        INSERT INTO job (id, destination, ordering_key, kind, payload, event, state, attempts, next_attempt_at,
                                         created_at, first_attempt_at, last_attempt_at, last_status, last_attempt_key, reason,
                                         settled_at)
                        OVERRIDING SYSTEM VALUE
                        VALUES (\(job.id), \(job.destination), \(job.orderingKey), \(job.kind), \(job.payload), \(job.event),
                                \(job.state), \(attempts), \(job.nextAttemptAt), \(job.createdAt), \(job.firstAttemptAt),
                                \(job.lastAttemptAt), \(status), \(job.lastAttemptKey), \(job.reason), \(job.settledAt))
                        ON CONFLICT (id) DO NOTHING RETURNING 1
                        """,
                        logger: self.logger
                    )
                )
                guard inserted > 0 else {
                    try await self.checkCopied(job, on: connection)
                    continue
                }
                for failure in job.failures {
                    let record = failure.record
                    let status = record.status.map(Int64.init)
                    try await connection.query(
                        """
                        INSERT INTO attempt (job_id, at, status, reason, response, attempt_key, request, outcome)
                        VALUES (\(job.id), \(record.at.timeIntervalSince1970), \(status), \(record.reason), \(record.response),
                                \(record.attemptKey), \(record.request), \(failure.outcome))
                        """,
                        logger: self.logger
                    )
                }
                if job.state == "dead" { counts.deadLetters += 1 } else { counts.jobs += 1 }
            }
            // New jobs are numbered after the copied ones, so they queue behind them.
            try await connection.query(
                "SELECT setval(pg_get_serial_sequence('job', 'id'), GREATEST((SELECT MAX(id) FROM job), 1))",
                logger: self.logger
            )
            return counts
        }
    }

    /// Throws unless the job holding `job`'s id is `job`, copied before.
    private func checkCopied(_ job: ExportedJob, on connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            "SELECT destination, ordering_key, created_at FROM job WHERE id = \(job.id)",
            logger: logger
        )
        for try await (destination, key, created) in rows.decode((String, String, Double).self)
        where destination == job.destination && key == job.orderingKey && created == job.createdAt {
            return
        }
        throw StoreError(
            "job \(job.id) of the SQLite store cannot keep its id: the PostgreSQL store holds another job with it. "
                + "Copy into a store no replica has taken events into yet (docs/scaling.md)"
        )
    }

    /// Copies dedupe keys (and bindings) with the time each was recorded; returns how many were new.
    package func importKeys(_ keys: [ExportedKey]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        let names = keys.map(\.key)
        let times = keys.map(\.createdAt)
        return try await transaction("copy \(keys.count) dedupe key(s)") { connection in
            try await self.count(
                connection.query(
                    """
                    INSERT INTO dedupe (key, created_at) SELECT * FROM unnest(\(names)::TEXT[], \(times)::DOUBLE PRECISION[])
                    ON CONFLICT (key) DO NOTHING RETURNING 1
                    """,
                    logger: self.logger
                )
            )
        }
    }

    /// Copies correlations with the time each was recorded; returns how many were new.
    package func importCorrelations(_ correlations: [ExportedCorrelation]) async throws -> Int {
        try await transaction("copy \(correlations.count) correlation(s)") { connection in
            var inserted = 0
            for exported in correlations where try await self.record(exported.correlation, at: exported.createdAt, on: connection) {
                inserted += 1
            }
            return inserted
        }
    }
}
