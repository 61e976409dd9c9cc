import Foundation
import GRDB

extension SQLiteStore {
    /// Queue depth and the oldest queued job's age per destination, as of `now`: the queue gauges ask
    /// every few seconds. `stats` also counts the last day's deliveries and attempts, which reads every
    /// job and attempt of a day: done every 5 s, that cost grew with the traffic.
    package func queueFigures(now: Date = Date(), destinations: [String]) async throws -> [QueueFigures] {
        try await pool.read { db in
            try destinations.map { name in
                // One pass over the pending jobs' index, which holds their ids; ids grow with time, so the
                // lowest is the oldest job, read by its id.
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        WITH pending AS (
                            SELECT COUNT(*) AS n, MIN(id) AS first FROM job INDEXED BY job_open
                            WHERE destination = ? AND state = 'pending')
                        SELECT n, (SELECT created_at FROM job WHERE id = pending.first) AS oldest FROM pending
                        """,
                    arguments: [name]
                )
                return QueueFigures(
                    destination: name,
                    queued: row?["n"] ?? 0,
                    oldestPendingAge: (row?["oldest"] as Double?).map { max(0, now.timeIntervalSince1970 - $0) }
                )
            }
        }
    }

    /// Figures for every destination that has jobs or state, as of `now`.
    package func stats(now: Date = Date(), destinations: [String] = ["novu", "segment"]) async throws -> [DestinationStats] {
        let hour = now.timeIntervalSince1970 - 3600
        let day = now.timeIntervalSince1970 - 86400
        return try await pool.read { db in
            try destinations.map { name in
                var stats = DestinationStats(destination: name)
                let pending = try Row.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM job WHERE destination = ? AND state = 'pending'",
                    arguments: [name]
                )
                stats.queued = pending?["n"] ?? 0
                stats.oldestPendingAge = (pending?["oldest"] as Double?).map { max(0, now.timeIntervalSince1970 - $0) }
                for (since, keyPath) in [(hour, \DestinationStats.lastHour), (day, \DestinationStats.lastDay)] {
                    var window = DestinationStats.Window()
                    window.delivered =
                        try Int.fetchOne(
                            db,
                            sql: """
                                SELECT COUNT(*) FROM job INDEXED BY job_done
                                WHERE state IN ('delivered', 'dry_run') AND settled_at >= ? AND destination = ?
                                """,
                            arguments: [since, name]
                        ) ?? 0
                    window.deadLettered =
                        try Int.fetchOne(
                            db,
                            sql:
                                "SELECT COUNT(*) FROM job INDEXED BY job_dead WHERE state = 'dead' AND settled_at >= ? AND destination = ?",
                            arguments: [since, name]
                        ) ?? 0
                    window.retried =
                        try Int.fetchOne(
                            db,
                            sql: """
                                SELECT COUNT(*) FROM attempt JOIN job ON job.id = attempt.job_id
                                WHERE attempt.at >= ? AND attempt.outcome IN ('retry', 'hold') AND job.destination = ?
                                """,
                            arguments: [since, name]
                        ) ?? 0
                    stats[keyPath: keyPath] = window
                }
                if let state = try Row.fetchOne(db, sql: "SELECT held, reason FROM destination_state WHERE name = ?", arguments: [name]) {
                    stats.held = state["held"]
                    stats.holdReason = state["reason"]
                }
                return stats
            }
        }
    }
}
