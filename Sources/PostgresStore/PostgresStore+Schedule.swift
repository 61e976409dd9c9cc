import Delivery
import Foundation
import PostgresNIO

/// The schedule's repair after the wall clock went back (see `StoreMaintenance`): only heads no replica
/// holds are scheduled, as the claim reads them (`headOfIdleUser`).
extension PostgresStore {
    package func scheduleSkew(destination: String, now: Date) async throws -> TimeInterval? {
        let at = now.timeIntervalSince1970
        return try await run("read the schedule of \(destination)") { connection in
            let rows = try await connection.query(
                """
                SELECT MAX(j.next_attempt_at) FROM job j
                WHERE j.destination = \(destination) AND j.state = 'pending' AND j.claimed_by IS NULL
                  AND j.last_attempt_at IS NULL AND j.next_attempt_at > \(at)
                  AND \(unescaped: Self.headOfIdleUser)
                """,
                logger: self.logger
            )
            for try await latest in rows.decode(Double?.self) { return latest.map { $0 - at } }
            return nil
        }
    }

    package func moveSchedule(
        destinations: [String],
        back seconds: TimeInterval,
        now: @escaping @Sendable () -> Date,
        settledSince: Date?
    ) async throws -> Int {
        try await transaction("move the schedule back") { connection in
            let at = now().timeIntervalSince1970
            // Nothing attempted in an empty range: without `settledSince`, every due time after `now` moves.
            let since = settledSince?.timeIntervalSince1970 ?? at + 1
            return try await self.count(
                connection.query(
                    """
                    UPDATE job SET next_attempt_at = next_attempt_at - \(seconds)
                    WHERE id IN (SELECT j.id FROM job j
                                 WHERE j.destination = ANY(\(destinations)::TEXT[]) AND j.state = 'pending'
                                   AND j.claimed_by IS NULL AND j.next_attempt_at > \(at)
                                   AND \(unescaped: Self.headOfIdleUser))
                      AND (last_attempt_at IS NULL OR last_attempt_at NOT BETWEEN \(since) AND \(at))
                    RETURNING 1
                    """,
                    logger: self.logger
                )
            )
        }
    }
}
