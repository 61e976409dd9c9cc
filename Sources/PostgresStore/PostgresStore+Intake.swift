import Delivery
import Foundation
import JSON
import PostgresNIO

/// Ingest's side: jobs in, with their dedupe keys and correlations, one transaction per call.
extension PostgresStore {
    /// Commits `jobs` in one transaction and returns after `COMMIT`. Concurrent calls commit side by side
    /// on the pool's connections, and PostgreSQL flushes concurrent commits together (its own group
    /// commit), so no queue of our own sits in front of it.
    package func enqueue(_ jobs: [NewJob], binding: KeyBinding?) async throws -> [EnqueueResult] {
        let now = Date().timeIntervalSince1970
        return try await transaction("queue \(jobs.count) job(s)") { connection in
            if let binding { try await self.bind(binding, now: now, on: connection) }
            var results: [EnqueueResult] = []
            results.reserveCapacity(jobs.count)
            for job in jobs { results.append(try await self.insert(job, now: now, on: connection)) }
            return results
        }
    }

    /// Records `binding` as the dedupe key `key=value`, or throws `BindingConflict` when `key=` is bound
    /// to another value. Bindings of one key take turns (a transaction-scoped advisory lock on the key),
    /// so two replicas cannot bind it to two values at once.
    private func bind(_ binding: KeyBinding, now: Double, on connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(binding.key), 0))", logger: logger)
        let prefix = binding.key + "="
        let upper = binding.key + ">"
        let rows = try await connection.query(
            "SELECT key FROM dedupe WHERE key >= \(prefix) AND key < \(upper) LIMIT 1",
            logger: logger
        )
        let wanted = prefix + binding.value
        for try await bound in rows.decode(String.self) {
            guard bound == wanted else { throw BindingConflict(key: binding.key) }
            return
        }
        try await connection.query("INSERT INTO dedupe (key, created_at) VALUES (\(wanted), \(now))", logger: logger)
    }

    /// Queues one job unless it is a duplicate: one of its dedupe keys, or its correlation's transaction,
    /// was committed before (by any replica: the primary keys decide, and a second insert of a key waits
    /// for the first's transaction to end).
    func insert(_ job: NewJob, now: Double, on connection: PostgresConnection) async throws -> EnqueueResult {
        var duplicate = false
        if !job.dedupeKeys.isEmpty {
            let keys = job.dedupeKeys
            // The other keys of a duplicate are remembered too: they were seen.
            let inserted = try await count(
                connection.query(
                    """
                    INSERT INTO dedupe (key, created_at) SELECT DISTINCT unnest(\(keys)::TEXT[]), \(now)
                    ON CONFLICT (key) DO NOTHING RETURNING 1
                    """,
                    logger: logger
                )
            )
            if inserted < Set(keys).count { duplicate = true }
        }
        if let cause = job.correlation, try await !record(cause, at: now, on: connection) {
            duplicate = true
        }
        if duplicate { return .duplicate }
        var (payload, step) = (job.payload, job.step)
        if let transaction = job.cause {
            if let cause = try await correlation(transactionId: transaction, on: connection) {
                payload = cause.linking(payload)
            } else {
                step = nil
            }
        }
        let dead = job.deadLetterReason
        let state = dead == nil ? "pending" : "dead"
        let settled: Double? = dead == nil ? nil : now
        // The column holds "" for a job for no one.
        let key = job.orderingKey ?? ""
        let rows = try await connection.query(
            """
            INSERT INTO job (destination, ordering_key, kind, payload, event, state, next_attempt_at, created_at, reason, settled_at)
            VALUES (\(job.destination), \(key), \(job.kind), \(payload), \(job.event), \(state), \(now), \(now), \(dead), \(settled))
            RETURNING id
            """,
            logger: logger
        )
        var id: Int64 = 0
        for try await value in rows.decode(Int64.self) { id = value }
        if let step { try await record(step, on: connection) }
        return .accepted(id)
    }

    /// Records `cause`, recorded at `at`; `false` when its transaction was recorded before.
    func record(_ cause: Correlation, at: Double, on connection: PostgresConnection) async throws -> Bool {
        let context = cause.context.map { JSONValue.object($0).encodedString() }
        let inserted = try await count(
            connection.query(
                """
                INSERT INTO correlation (transaction_id, event_name, message_id, user_id, workflow, created_at, context)
                VALUES (\(cause.transactionId), \(cause.eventName), \(cause.messageId), \(cause.userId), \(cause.workflow),
                        \(at), \(context))
                ON CONFLICT (transaction_id) DO NOTHING RETURNING 1
                """,
                logger: logger
            )
        )
        return inserted > 0
    }

    /// Appends a funnel step, to be folded into its message's row off the ingest path.
    private func record(_ step: FunnelStep, on connection: PostgresConnection) async throws {
        let failure: String? = step.stage == .failed ? step.failure ?? "unknown" : nil
        try await connection.query(
            """
            INSERT INTO funnel_step (message_id, transaction_id, user_id, workflow, channel, provider, stage, at, failure)
            VALUES (\(step.messageId), \(step.transactionId), \(step.userId), \(step.workflow), \(step.channel),
                    \(step.provider), \(step.stage.rawValue), \(step.at.timeIntervalSince1970), \(failure))
            """,
            logger: logger
        )
    }

    package func correlation(transactionId: String) async throws -> Correlation? {
        try await run("read a correlation") { connection in
            try await self.correlation(transactionId: transactionId, on: connection)
        }
    }

    func correlation(transactionId: String, on connection: PostgresConnection) async throws -> Correlation? {
        let rows = try await connection.query(
            """
            SELECT transaction_id, event_name, message_id, user_id, workflow, context FROM correlation
            WHERE transaction_id = \(transactionId)
            """,
            logger: logger
        )
        for try await (transaction, event, message, user, workflow, context) in rows.decode(
            (String, String, String, String, String, String?).self
        ) {
            return Correlation(
                transactionId: transaction,
                eventName: event,
                messageId: message,
                userId: user,
                workflow: workflow,
                context: context.flatMap { try? JSONValue.parse(Data($0.utf8)) }?.objectValue
            )
        }
        return nil
    }

    /// How many rows a statement returned (its `RETURNING` list), read to the end.
    func count(_ rows: PostgresRowSequence) async throws -> Int {
        var n = 0
        for try await _ in rows { n += 1 }
        return n
    }
}
