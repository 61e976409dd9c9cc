import Delivery
import Foundation
import PostgresNIO

/// The relay's side: claims of due heads with a lease, their release, the next due time.
///
/// A job is claimable when it is pending, due, not under a live claim, the oldest pending job of its
/// destination and key (its user's head), and no other pending job of that key is under a live claim (a
/// dead letter replayed behind a job in flight waits for it). A claim is live until its `lease_until`,
/// read on the database's clock (`clock_timestamp()`), the one clock every replica shares.
extension PostgresStore {
    /// The conditions that make `j` its user's head with no live claim on the user. Shared by the claim,
    /// `nextDue` and the schedule's repair. Both are correlated subqueries, so each is one probe of
    /// `job_open` per candidate: written as `NOT EXISTS` the planner may join against every pending job of
    /// the destination instead (a hundred times slower with a few hundred queued).
    static let headOfIdleUser = """
        j.id = (SELECT o.id FROM job o WHERE o.destination = j.destination AND o.ordering_key = j.ordering_key
                  AND o.state = 'pending' ORDER BY o.id LIMIT 1)
        AND NOT EXISTS (SELECT 1 FROM job c WHERE c.destination = j.destination AND c.ordering_key = j.ordering_key
                          AND c.state = 'pending' AND c.id <> j.id AND c.lease_until >= extract(epoch FROM clock_timestamp()))
        """

    package func claim(destination: String, limit: Int, now: Date) async throws -> [ClaimedJob] {
        let due = now.timeIntervalSince1970
        let owner = owner
        let lease = lease
        // One statement: the heads due, locked without waiting (a head another replica is claiming right
        // now is skipped, not waited for), then marked with this replica's lease. A row another replica
        // claimed after this statement's snapshot is read again once locked, and left out as claimed.
        let sql: PostgresQuery = """
            WITH picked AS (
                SELECT j.id FROM job j
                WHERE j.destination = \(destination) AND j.state = 'pending' AND j.next_attempt_at <= \(due)
                  AND (j.lease_until IS NULL OR j.lease_until < extract(epoch FROM clock_timestamp()))
                  AND \(unescaped: Self.headOfIdleUser)
                ORDER BY j.next_attempt_at, j.id
                LIMIT \(limit)
                FOR UPDATE OF j SKIP LOCKED)
            UPDATE job SET claimed_by = \(owner), lease_until = extract(epoch FROM clock_timestamp()) + \(lease)
            FROM picked WHERE job.id = picked.id
            RETURNING job.id, job.destination, job.ordering_key, job.kind, job.payload, job.attempts, job.created_at,
                job.first_attempt_at, job.last_status, job.last_attempt_key, job.next_attempt_at
            """
        return try await transaction("claim jobs of \(destination)", durable: false) { connection in
            var claimed: [(due: Double, job: ClaimedJob)] = []
            let rows = try await connection.query(sql, logger: self.logger)
            for try await (id, destination, key, kind, payload, attempts, created, first, status, attemptKey, next) in rows.decode(
                (Int64, String, String, String, Data, Int64, Double, Double?, Int64?, String?, Double).self
            ) {
                let job = ClaimedJob(
                    id: id,
                    destination: destination,
                    orderingKey: key.isEmpty ? nil : key,
                    kind: kind,
                    payload: payload,
                    attempts: Int(attempts),
                    createdAt: Date(timeIntervalSince1970: created),
                    firstAttemptAt: first.map(Date.init(timeIntervalSince1970:)),
                    lastStatus: status.map(Int.init),
                    lastAttemptKey: attemptKey
                )
                claimed.append((next, job))
            }
            // RETURNING gives no order: put the jobs back in due order.
            return claimed.sorted { ($0.due, $0.job.id) < ($1.due, $1.job.id) }.map(\.job)
        }
    }

    /// Releases this process's claims and every claim whose lease ran out (a replica that died). Claims of
    /// live replicas are theirs: releasing them would let a user's next event out beside one in flight.
    package func releaseAllClaims() async throws -> Int {
        let owner = owner
        return try await transaction("release claims", durable: false) { connection in
            try await self.count(
                connection.query(
                    """
                    UPDATE job SET claimed_by = NULL, lease_until = NULL
                    WHERE state = 'pending' AND claimed_by IS NOT NULL
                      AND (claimed_by = \(owner) OR lease_until < extract(epoch FROM clock_timestamp()))
                    RETURNING 1
                    """,
                    logger: self.logger
                )
            )
        }
    }

    /// When the next claimable head of `destination` is due: one under a lease that ran out counts (it is
    /// claimable), one under a live lease does not. Another replica's new jobs, and leases that run out
    /// later, are found by the relay's periodic look (`Relay.Configuration.idleLook`), not by this.
    package func nextDue(destination: String) async throws -> Date? {
        try await run("read the next due time of \(destination)") { connection in
            let rows = try await connection.query(
                """
                SELECT MIN(j.next_attempt_at) FROM job j
                WHERE j.destination = \(destination) AND j.state = 'pending'
                  AND (j.lease_until IS NULL OR j.lease_until < extract(epoch FROM clock_timestamp()))
                  AND \(unescaped: Self.headOfIdleUser)
                """,
                logger: self.logger
            )
            for try await due in rows.decode(Double?.self) { return due.map(Date.init(timeIntervalSince1970:)) }
            return nil
        }
    }

}
