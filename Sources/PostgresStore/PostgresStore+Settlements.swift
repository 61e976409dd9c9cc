import Delivery
import Foundation
import PostgresNIO

/// The end of claims: deliveries together, retries, holds, dead letters and releases one by one, all in
/// group commits, and only by the replica that still holds the claim.
extension PostgresStore {
    /// Settles in the next group commit: each request the relay's lanes finish settles on its own, and
    /// with singles (fewer than `NOVU_BULK_THRESHOLD` due at once, as when replicas share the queue) each
    /// would otherwise be a transaction of its own.
    package func settle(_ settlements: [Settlement]) async throws {
        guard !settlements.isEmpty else { return }
        try await committing.settlements.submit(settlements, size: settlements.count)
    }

    /// Settles a group's settlements in one transaction.
    func settleTogether(_ group: [[Settlement]]) async throws -> [Result<Void, any Error>] {
        let settlements = group.flatMap { $0 }
        // Deliveries, most of what the relay settles, go in a few set-based statements; retries, holds,
        // dead letters and releases one by one.
        let sent = settlements.filter { $0.outcome == .delivered || $0.outcome == .dryRun }
        let others = settlements.filter { $0.outcome != .delivered && $0.outcome != .dryRun }
        let refused = try await transaction("settle \(settlements.count) job(s)", durable: false) { connection in
            var refused = try await self.applySent(sent, on: connection)
            for settlement in others where try await !self.apply(settlement, on: connection) {
                refused.append(settlement.jobId)
            }
            return refused
        }
        if !refused.isEmpty {
            // The lease ran out while this replica held the jobs (a request slower than BRIDGE_CLAIM_LEASE)
            // and another replica claimed them since: its settlement is the one that counts.
            logger.warning(
                "settlement refused: the claim's lease ran out and another replica holds the job now",
                metadata: ["jobs": "\(refused.map(String.init).joined(separator: ","))"]
            )
        }
        return group.map { _ in .success(()) }
    }

    /// Applies delivered and dry-run settlements together: the jobs leave the queue (with their last
    /// answer), their triggers and follows are recorded, and each user's next job, if never attempted, is
    /// due now. Returns the ids whose claim this replica no longer holds, left alone.
    private func applySent(_ settlements: [Settlement], on connection: PostgresConnection) async throws -> [Int64] {
        guard !settlements.isEmpty else { return [] }
        let now = Date().timeIntervalSince1970
        let ids = settlements.map(\.jobId)
        let states = settlements.map { $0.outcome == .delivered ? "delivered" : "dry_run" }
        let times = settlements.map { $0.attempt?.at.timeIntervalSince1970 ?? now }
        let hasAttempt = settlements.map { $0.attempt != nil }
        let hasStatus = settlements.map { $0.attempt?.status != nil }
        let statuses = settlements.map { Int64($0.attempt?.status ?? 0) }
        let hasKey = settlements.map { $0.attempt?.attemptKey != nil }
        let keys = settlements.map { $0.attempt?.attemptKey ?? "" }
        // The key an attempt sent (none for a bulk request); a settlement without an attempt keeps the last.
        let rows = try await connection.query(
            """
            UPDATE job SET claimed_by = NULL, lease_until = NULL, state = s.state, attempts = attempts + 1,
                first_attempt_at = COALESCE(first_attempt_at, s.at), last_attempt_at = s.at,
                last_status = CASE WHEN s.hs THEN s.st END,
                last_attempt_key = CASE WHEN s.ha THEN (CASE WHEN s.hk THEN s.k END) ELSE last_attempt_key END,
                settled_at = \(now)
            FROM unnest(\(ids)::BIGINT[], \(states)::TEXT[], \(times)::DOUBLE PRECISION[], \(hasAttempt)::BOOL[], \(hasStatus)::BOOL[],
                        \(statuses)::BIGINT[], \(hasKey)::BOOL[], \(keys)::TEXT[]) AS s(id, state, at, ha, hs, st, hk, k)
            WHERE job.id = s.id AND job.state = 'pending' AND job.claimed_by = \(owner)
            RETURNING job.id, job.destination, job.ordering_key, s.at
            """,
            logger: logger
        )
        var settled: [Int64: (destination: String, key: String, at: Double)] = [:]
        for try await (id, destination, key, at) in rows.decode((Int64, String, String, Double).self) {
            settled[id] = (destination, key, at)
        }
        let done = settlements.filter { settled[$0.jobId] != nil }
        // A job settles delivered once, so its trigger is recorded once.
        let acknowledged = done.filter { $0.outcome == .delivered && $0.acknowledged != nil }
        if !acknowledged.isEmpty {
            let transactions = acknowledged.map { $0.acknowledged ?? "" }
            let at = acknowledged.map { settled[$0.jobId]?.at ?? now }
            try await connection.query(
                """
                WITH gate AS (\(unescaped: Self.triggerGate))
                INSERT INTO funnel_trigger (transaction_id, user_id, workflow, trigger_event, trigger_message_id, context, triggered_at)
                SELECT c.transaction_id, c.user_id, c.workflow, c.event_name, c.message_id, c.context, x.at
                FROM unnest(\(transactions)::TEXT[], \(at)::DOUBLE PRECISION[]) WITH ORDINALITY AS x(t, at, n)
                JOIN correlation c ON c.transaction_id = x.t
                WHERE c.user_id <> ''
                ORDER BY x.n
                """,
                logger: logger
            )
        }
        let follows = done.filter { $0.outcome == .delivered && $0.follow != nil }
        if !follows.isEmpty {
            let transactions = follows.map { $0.follow?.transactionId ?? "" }
            let since = follows.map { settled[$0.jobId]?.at ?? now }
            let looks = follows.map { $0.follow?.firstLookAt.timeIntervalSince1970 ?? now }
            try await connection.query(
                """
                INSERT INTO follow (transaction_id, since, next_look_at)
                SELECT * FROM unnest(\(transactions)::TEXT[], \(since)::DOUBLE PRECISION[], \(looks)::DOUBLE PRECISION[])
                ON CONFLICT (transaction_id) DO NOTHING
                """,
                logger: logger
            )
        }
        if !settled.isEmpty {
            // Each job left its user's queue: the next, if never attempted, was due when it was queued and
            // is due now, whatever the wall clock did meanwhile.
            let users = Array(settled.values)
            let (destinations, keys, times) = (users.map(\.destination), users.map(\.key), users.map(\.at))
            try await connection.query(
                """
                UPDATE job SET next_attempt_at = LEAST(job.next_attempt_at, h.at)
                FROM (SELECT (SELECT o.id FROM job o WHERE o.destination = x.d AND o.ordering_key = x.k AND o.state = 'pending'
                              ORDER BY o.id LIMIT 1) AS id, x.at
                      FROM unnest(\(destinations)::TEXT[], \(keys)::TEXT[], \(times)::DOUBLE PRECISION[]) AS x(d, k, at)) AS h
                WHERE job.id = h.id AND job.last_attempt_at IS NULL
                """,
                logger: logger
            )
        }
        return ids.filter { settled[$0] == nil }
    }

    /// Applies one settlement; `false` when this replica no longer holds the claim.
    private func apply(_ settlement: Settlement, on connection: PostgresConnection) async throws -> Bool {
        let now = Date().timeIntervalSince1970
        let attempt = settlement.attempt
        let id = settlement.jobId
        var state = "pending"
        var next: Double? = nil
        var reason: String? = nil
        let counts: Bool
        switch settlement.outcome {
        case .release:
            let rows = try await connection.query(
                """
                UPDATE job SET claimed_by = NULL, lease_until = NULL
                WHERE id = \(id) AND state = 'pending' AND claimed_by = \(owner) RETURNING 1
                """,
                logger: logger
            )
            return try await count(rows) > 0
        case .delivered: (state, counts) = ("delivered", true)
        case .dryRun: (state, counts) = ("dry_run", true)
        case .retry(let at): (next, counts) = (at.timeIntervalSince1970, true)
        case .hold(let until): (next, counts) = (until.timeIntervalSince1970, false)
        case .deadLetter(let why): (state, reason, counts) = ("dead", why, true)
        }
        let at = attempt?.at.timeIntervalSince1970 ?? now
        let added: Int64 = counts ? 1 : 0
        let status = attempt?.status.map(Int64.init)
        // The key this attempt sent, none for a bulk request; a settlement without an attempt keeps the last.
        let keepKey = attempt == nil
        let attemptKey = attempt?.attemptKey
        let settledAt: Double? = state == "pending" ? nil : now
        let rows = try await connection.query(
            """
            UPDATE job SET claimed_by = NULL, lease_until = NULL, state = \(state), attempts = attempts + \(added),
                next_attempt_at = COALESCE(\(next), next_attempt_at), first_attempt_at = COALESCE(first_attempt_at, \(at)),
                last_attempt_at = \(at), last_status = \(status),
                last_attempt_key = CASE WHEN \(keepKey) THEN last_attempt_key ELSE \(attemptKey) END,
                reason = COALESCE(\(reason), reason), settled_at = \(settledAt)
            WHERE id = \(id) AND state = 'pending' AND claimed_by = \(owner)
            RETURNING destination, ordering_key
            """,
            logger: logger
        )
        var user: (String, String)? = nil
        for try await row in rows.decode((String, String).self) { user = row }
        guard let (destination, key) = user else { return false }
        // A job settles delivered once, so its trigger is recorded once. The statement takes the trigger gate
        // (`PostgresStore.triggerGate`) before the row takes its seq, and holds it to COMMIT.
        if state == "delivered", let transactionId = settlement.acknowledged {
            try await connection.query(
                """
                WITH gate AS (\(unescaped: Self.triggerGate))
                INSERT INTO funnel_trigger (transaction_id, user_id, workflow, trigger_event, trigger_message_id, context, triggered_at)
                SELECT transaction_id, user_id, workflow, event_name, message_id, context, \(at)
                FROM correlation WHERE transaction_id = \(transactionId) AND user_id <> ''
                """,
                logger: logger
            )
        }
        if state == "delivered", let follow = settlement.follow {
            try await connection.query(
                """
                INSERT INTO follow (transaction_id, since, next_look_at)
                VALUES (\(follow.transactionId), \(at), \(follow.firstLookAt.timeIntervalSince1970))
                ON CONFLICT (transaction_id) DO NOTHING
                """,
                logger: logger
            )
        }
        if state != "pending" {
            // The job left its user's queue: the next one, if it was never attempted, was due when it was
            // queued and is due now, whatever the wall clock did meanwhile.
            try await connection.query(
                """
                UPDATE job SET next_attempt_at = LEAST(next_attempt_at, \(at))
                WHERE id = (SELECT MIN(id) FROM job WHERE destination = \(destination) AND ordering_key = \(key)
                            AND state = 'pending')
                  AND last_attempt_at IS NULL
                """,
                logger: logger
            )
        }
        if let attempt, state != "delivered", state != "dry_run" {
            try await recordFailure(attempt, of: id, outcome: settlement.outcome, on: connection)
        }
        return true
    }

    /// Keeps a failed attempt for the dead-letter queue. The attempt before it gives up its request and
    /// answer unless it was the first: a job retried for a day keeps its first and latest in full, and
    /// every attempt's outcome.
    private func recordFailure(
        _ attempt: AttemptRecord,
        of id: Int64,
        outcome: Settlement.Outcome,
        on connection: PostgresConnection
    ) async throws {
        let kind: String
        switch outcome {
        case .hold: kind = "hold"
        case .deadLetter: kind = "dead"
        default: kind = "retry"
        }
        try await connection.query(
            """
            UPDATE attempt SET request = NULL, response = NULL
            WHERE id = (SELECT MAX(id) FROM attempt WHERE job_id = \(id))
              AND id <> (SELECT MIN(id) FROM attempt WHERE job_id = \(id))
              AND (request IS NOT NULL OR response IS NOT NULL)
            """,
            logger: logger
        )
        let status = attempt.status.map(Int64.init)
        try await connection.query(
            """
            INSERT INTO attempt (job_id, at, status, reason, response, attempt_key, request, outcome)
            VALUES (\(id), \(attempt.at.timeIntervalSince1970), \(status), \(attempt.reason), \(attempt.response),
                    \(attempt.attemptKey), \(attempt.request), \(kind))
            """,
            logger: logger
        )
    }
}
