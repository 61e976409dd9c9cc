import Delivery
import Foundation
import JSON
import PostgresNIO

/// The activity poller's side of the store (`FollowStore`). Follows are recorded by `settle`.
///
/// `dueFollows` is a read: replicas may poll the same follow at once. Their rounds' jobs carry the
/// changes' dedupe keys, so a change is queued once, and what a message emitted only grows, whichever
/// round commits last.
extension PostgresStore: FollowStore {
    package func dueFollows(now: Date, limit: Int) async throws -> [FollowedTransaction] {
        let due = now.timeIntervalSince1970
        return try await run("read the due follows") { connection in
            let rows = try await connection.query(
                """
                SELECT transaction_id, since, looks, next_look_at FROM follow
                WHERE ended IS NULL AND next_look_at <= \(due) ORDER BY next_look_at LIMIT \(limit)
                """,
                logger: self.logger
            )
            var follows: [FollowedTransaction] = []
            for try await (transactionId, since, looks, next) in rows.decode((String, Double, Int64, Double).self) {
                follows.append(
                    FollowedTransaction(
                        transactionId: transactionId,
                        since: Date(timeIntervalSince1970: since),
                        looks: Int(looks),
                        nextLookAt: Date(timeIntervalSince1970: next)
                    )
                )
            }
            return follows
        }
    }

    package func emittedChanges(transactionIds: [String]) async throws -> [String: Set<String>] {
        guard !transactionIds.isEmpty else { return [:] }
        return try await run("read the emitted changes") { connection in
            let rows = try await connection.query(
                "SELECT message_id, emitted FROM follow_message WHERE transaction_id = ANY(\(transactionIds)::TEXT[])",
                logger: self.logger
            )
            var emitted: [String: Set<String>] = [:]
            for try await (messageId, types) in rows.decode((String, String).self) {
                emitted[messageId, default: []].formUnion(types.split(separator: ",").map(String.init))
            }
            return emitted
        }
    }

    package func correlations(transactionIds: [String]) async throws -> [String: Correlation] {
        guard !transactionIds.isEmpty else { return [:] }
        return try await run("read correlations") { connection in
            try await self.correlations(transactionIds: transactionIds, on: connection)
        }
    }

    /// The correlations recorded for `transactionIds`, in one statement.
    func correlations(transactionIds: [String], on connection: PostgresConnection) async throws -> [String: Correlation] {
        let rows = try await connection.query(
            """
            SELECT transaction_id, event_name, message_id, user_id, workflow, context FROM correlation
            WHERE transaction_id = ANY(\(transactionIds)::TEXT[])
            """,
            logger: logger
        )
        var found: [String: Correlation] = [:]
        for try await (transactionId, event, message, user, workflow, context) in rows.decode(
            (String, String, String, String, String, String?).self
        ) {
            found[transactionId] = Correlation(
                transactionId: transactionId,
                eventName: event,
                messageId: message,
                userId: user,
                workflow: workflow,
                context: context.flatMap { try? JSONValue.parse(Data($0.utf8)) }?.objectValue
            )
        }
        return found
    }

    /// Commits a round in one transaction: its jobs queued as `enqueue` queues them (a change another
    /// replica's round queued first is a duplicate), what it emitted, its looks. A message's emitted
    /// types are the union of what was recorded and the round's total, so a round committed after
    /// another replica's newer one takes nothing back. Rows are written in key order, so two replicas
    /// committing rounds of the same follows lock them in one order.
    package func commit(_ round: PollCommit) async throws -> [EnqueueResult] {
        let now = Date().timeIntervalSince1970
        let emitted = round.emitted.sorted { $0.key < $1.key }
        let messageIds = emitted.map(\.key)
        let emittedTransactions = emitted.map(\.value.transactionId)
        let types = emitted.map { $0.value.types.sorted().joined(separator: ",") }
        let looks = round.looks.sorted { $0.transactionId < $1.transactionId }
        var again: (ids: [String], at: [Double]) = ([], [])
        var ended: (ids: [String], reasons: [String]) = ([], [])
        for look in looks {
            switch look.next {
            case .lookAgain(let at):
                again.ids.append(look.transactionId)
                again.at.append(at.timeIntervalSince1970)
            case .end(let reason):
                ended.ids.append(look.transactionId)
                ended.reasons.append(reason)
            }
        }
        return try await transaction("commit a poll round") { connection in
            var results: [EnqueueResult] = []
            results.reserveCapacity(round.jobs.count)
            for job in round.jobs { results.append(try await self.insert(job, now: now, on: connection)) }
            if !messageIds.isEmpty {
                // Only for a transaction still followed: one pruned while the round was read leaves no orphans.
                try await connection.query(
                    """
                    INSERT INTO follow_message (message_id, transaction_id, emitted)
                    SELECT r.message_id, r.transaction_id, r.emitted
                    FROM unnest(\(messageIds)::TEXT[], \(emittedTransactions)::TEXT[], \(types)::TEXT[])
                        AS r (message_id, transaction_id, emitted)
                    WHERE EXISTS (SELECT 1 FROM follow WHERE follow.transaction_id = r.transaction_id)
                    ORDER BY r.message_id
                    ON CONFLICT (message_id) DO UPDATE SET emitted = COALESCE(
                        (SELECT string_agg(DISTINCT type, ',' ORDER BY type)
                         FROM unnest(string_to_array(follow_message.emitted, ',') || string_to_array(excluded.emitted, ','))
                             AS type),
                        '')
                    """,
                    logger: self.logger
                )
            }
            if !again.ids.isEmpty {
                try await connection.query(
                    """
                    UPDATE follow SET looks = looks + 1, next_look_at = r.at
                    FROM unnest(\(again.ids)::TEXT[], \(again.at)::DOUBLE PRECISION[]) AS r (transaction_id, at)
                    WHERE follow.transaction_id = r.transaction_id
                    """,
                    logger: self.logger
                )
            }
            if !ended.ids.isEmpty {
                try await connection.query(
                    """
                    UPDATE follow SET looks = looks + 1, ended = r.reason, next_look_at = \(now)
                    FROM unnest(\(ended.ids)::TEXT[], \(ended.reasons)::TEXT[]) AS r (transaction_id, reason)
                    WHERE follow.transaction_id = r.transaction_id
                    """,
                    logger: self.logger
                )
            }
            return results
        }
    }

    package func nextFollowLook() async throws -> Date? {
        try await run("read the next look") { connection in
            let rows = try await connection.query(
                "SELECT next_look_at FROM follow WHERE ended IS NULL ORDER BY next_look_at LIMIT 1",
                logger: self.logger
            )
            for try await at in rows.decode(Double.self) { return Date(timeIntervalSince1970: at) }
            return nil
        }
    }

    package func followFigures() async throws -> FollowFigures {
        try await run("read the follow figures") { connection in
            var figures = FollowFigures()
            let open = try await connection.query(
                "SELECT COUNT(*), MIN(next_look_at) FROM follow WHERE ended IS NULL",
                logger: self.logger
            )
            for try await (count, next) in open.decode((Int64, Double?).self) {
                figures.followed = Int(count)
                figures.nextLookAt = next.map(Date.init(timeIntervalSince1970:))
            }
            let ended = try await connection.query(
                "SELECT ended, COUNT(*) FROM follow WHERE ended IS NOT NULL GROUP BY ended",
                logger: self.logger
            )
            for try await (reason, count) in ended.decode((String, Int64).self) { figures.ended[reason] = Int(count) }
            return figures
        }
    }
}
