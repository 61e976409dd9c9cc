import Delivery
import Foundation
import PostgresNIO

/// What gauges, `bridge stats` and readiness read: the same figures on every replica.
extension PostgresStore {
    package func queueFigures(now: Date, destinations: [String]) async throws -> [QueueFigures] {
        try await run("read the queue figures") { connection in
            var figures: [QueueFigures] = []
            for name in destinations {
                // Ids grow with time: the lowest pending id is the oldest job.
                let rows = try await connection.query(
                    """
                    SELECT COUNT(*), (SELECT created_at FROM job WHERE destination = \(name) AND state = 'pending'
                                      ORDER BY id LIMIT 1)
                    FROM job WHERE destination = \(name) AND state = 'pending'
                    """,
                    logger: self.logger
                )
                var queue = QueueFigures(destination: name)
                for try await (count, oldest) in rows.decode((Int64, Double?).self) {
                    queue.queued = Int(count)
                    queue.oldestPendingAge = oldest.map { max(0, now.timeIntervalSince1970 - $0) }
                }
                figures.append(queue)
            }
            return figures
        }
    }

    package func stats(now: Date, destinations: [String]) async throws -> [DestinationStats] {
        let queues = try await queueFigures(now: now, destinations: destinations)
        let hour = now.timeIntervalSince1970 - 3600
        let day = now.timeIntervalSince1970 - 86400
        return try await run("read the destinations' figures") { connection in
            var all: [DestinationStats] = []
            for queue in queues {
                let name = queue.destination
                var stats = DestinationStats(destination: name)
                stats.queued = queue.queued
                stats.oldestPendingAge = queue.oldestPendingAge
                for (since, keyPath) in [(hour, \DestinationStats.lastHour), (day, \DestinationStats.lastDay)] {
                    let rows = try await connection.query(
                        """
                        SELECT
                          (SELECT COUNT(*) FROM job WHERE state IN ('delivered', 'dry_run') AND settled_at >= \(since)
                             AND destination = \(name)),
                          (SELECT COUNT(*) FROM job WHERE state = 'dead' AND settled_at >= \(since) AND destination = \(name)),
                          (SELECT COUNT(*) FROM attempt JOIN job ON job.id = attempt.job_id
                             WHERE attempt.at >= \(since) AND attempt.outcome IN ('retry', 'hold') AND job.destination = \(name))
                        """,
                        logger: self.logger
                    )
                    for try await (delivered, dead, retried) in rows.decode((Int64, Int64, Int64).self) {
                        var window = DestinationStats.Window()
                        window.delivered = Int(delivered)
                        window.deadLettered = Int(dead)
                        window.retried = Int(retried)
                        stats[keyPath: keyPath] = window
                    }
                }
                let state = try await connection.query(
                    "SELECT held, reason FROM destination_state WHERE name = \(name)",
                    logger: self.logger
                )
                for try await (held, reason) in state.decode((Bool, String?).self) {
                    stats.held = held
                    stats.holdReason = reason
                }
                all.append(stats)
            }
            return all
        }
    }
}
