import Foundation
import GRDB

/// The activity poller's side of the store (`FollowStore`). Follows are recorded by `settle`.
extension SQLiteStore: FollowStore {
    package func dueFollows(now: Date, limit: Int) async throws -> [FollowedTransaction] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT transaction_id, since, looks, next_look_at FROM follow INDEXED BY follow_due
                    WHERE ended IS NULL AND next_look_at <= ? ORDER BY next_look_at LIMIT ?
                    """,
                arguments: [now.timeIntervalSince1970, limit]
            ).map { row in
                FollowedTransaction(
                    transactionId: row["transaction_id"],
                    since: Date(timeIntervalSince1970: row["since"]),
                    looks: row["looks"],
                    nextLookAt: Date(timeIntervalSince1970: row["next_look_at"])
                )
            }
        }
    }

    package func emittedChanges(transactionIds: [String]) async throws -> [String: Set<String>] {
        guard !transactionIds.isEmpty else { return [:] }
        return try await pool.read { db in
            var emitted: [String: Set<String>] = [:]
            let statement = try db.cachedStatement(
                sql: "SELECT message_id, emitted FROM follow_message WHERE transaction_id = ?"
            )
            for id in transactionIds {
                for row in try Row.fetchAll(statement, arguments: [id]) {
                    let types = (row["emitted"] as String).split(separator: ",").map(String.init)
                    emitted[row["message_id"], default: []].formUnion(types)
                }
            }
            return emitted
        }
    }

    package func correlations(transactionIds: [String]) async throws -> [String: Correlation] {
        guard !transactionIds.isEmpty else { return [:] }
        return try await pool.read { db in
            var found: [String: Correlation] = [:]
            for id in transactionIds {
                if let correlation = try Self.correlation(transactionId: id, db: db) { found[id] = correlation }
            }
            return found
        }
    }

    package func commit(_ round: PollCommit) async throws -> [EnqueueResult] {
        let now = Date().timeIntervalSince1970
        return try await commits.write { db in
            var insert = try Insert(db)
            let results = try round.jobs.map { job in try insert.run(job, now: now, db: db) }
            // Only for a transaction still there: one pruned while the round was read leaves no orphans.
            let remember = try db.cachedStatement(
                sql: """
                    INSERT INTO follow_message(message_id, transaction_id, emitted)
                    SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM follow WHERE transaction_id = ?2)
                    ON CONFLICT(message_id) DO UPDATE SET emitted = excluded.emitted
                    """
            )
            for (messageId, entry) in round.emitted {
                try remember.execute(arguments: [messageId, entry.transactionId, entry.types.sorted().joined(separator: ",")])
            }
            let again = try db.cachedStatement(sql: "UPDATE follow SET looks = looks + 1, next_look_at = ? WHERE transaction_id = ?")
            let end = try db.cachedStatement(
                sql: "UPDATE follow SET looks = looks + 1, ended = ?, next_look_at = ? WHERE transaction_id = ?"
            )
            for look in round.looks {
                switch look.next {
                case .lookAgain(let at): try again.execute(arguments: [at.timeIntervalSince1970, look.transactionId])
                case .end(let reason): try end.execute(arguments: [reason, now, look.transactionId])
                }
            }
            return results
        }
    }

    package func nextFollowLook() async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(
                db,
                sql: "SELECT next_look_at FROM follow INDEXED BY follow_due WHERE ended IS NULL ORDER BY next_look_at LIMIT 1"
            ).map(Date.init(timeIntervalSince1970:))
        }
    }

    package func followFigures() async throws -> FollowFigures {
        try await pool.read { db in
            var figures = FollowFigures()
            figures.followed = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM follow INDEXED BY follow_due WHERE ended IS NULL") ?? 0
            figures.nextLookAt = try Double.fetchOne(
                db,
                sql: "SELECT next_look_at FROM follow INDEXED BY follow_due WHERE ended IS NULL ORDER BY next_look_at LIMIT 1"
            ).map(Date.init(timeIntervalSince1970:))
            let ended = "SELECT ended, COUNT(*) AS n FROM follow INDEXED BY follow_ended WHERE ended IS NOT NULL GROUP BY ended"
            for row in try Row.fetchAll(db, sql: ended) { figures.ended[row["ended"]] = row["n"] }
            return figures
        }
    }
}
