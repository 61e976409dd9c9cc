import Foundation
import GRDB

/// The funnel's side of the store (`FunnelStore`): facts for the report, candidates for conversions,
/// the outbox of `Notification Triggered`.
extension SQLiteStore: FunnelStore {
    public func funnelFacts(from: Date, to: Date) async throws -> FunnelFacts {
        let range: StatementArguments = [from.timeIntervalSince1970, to.timeIntervalSince1970]
        return try await pool.read { db in
            let triggers = try Row.fetchAll(
                db,
                sql: "SELECT * FROM funnel_trigger INDEXED BY funnel_trigger_at WHERE triggered_at >= ? AND triggered_at < ?",
                arguments: range
            ).map(Self.trigger)
            // The messages of those triggers, and the messages first seen in the period of transactions the
            // bridge did not trigger (Novu's webhooks report every notification of the environment).
            let messages = try Row.fetchAll(
                db,
                sql: """
                    SELECT m.*, (SELECT MIN(converted_at) FROM funnel_conversion c WHERE c.message_id = m.message_id) AS converted_at
                    FROM funnel_trigger t INDEXED BY funnel_trigger_at JOIN funnel_message m ON m.transaction_id = t.transaction_id
                    WHERE t.triggered_at >= ?1 AND t.triggered_at < ?2
                    UNION ALL
                    SELECT m.*, (SELECT MIN(converted_at) FROM funnel_conversion c WHERE c.message_id = m.message_id)
                    FROM funnel_message m INDEXED BY funnel_message_seen
                    WHERE m.first_seen_at >= ?1 AND m.first_seen_at < ?2
                      AND NOT EXISTS (SELECT 1 FROM funnel_trigger t WHERE t.transaction_id = m.transaction_id)
                    """,
                arguments: range
            ).map(Self.message)
            return FunnelFacts(triggers: triggers, messages: messages)
        }
    }

    public func conversionCandidates(
        userId: String,
        since: Date
    ) async throws -> (messages: [FunnelMessage], triggers: [String: FunnelTrigger]) {
        try await pool.read { db in
            let messages = try Row.fetchAll(
                db,
                sql: """
                    SELECT m.*, (SELECT MIN(converted_at) FROM funnel_conversion c WHERE c.message_id = m.message_id) AS converted_at
                    FROM funnel_message m INDEXED BY funnel_message_user WHERE m.user_id = ? AND m.first_seen_at >= ?
                    """,
                arguments: [userId, since.timeIntervalSince1970]
            ).map(Self.message)
            var triggers: [String: FunnelTrigger] = [:]
            let statement = try db.cachedStatement(sql: "SELECT * FROM funnel_trigger WHERE transaction_id = ?")
            for transactionId in Set(messages.map(\.transactionId)) {
                if let row = try Row.fetchOne(statement, arguments: [transactionId]) { triggers[transactionId] = Self.trigger(row) }
            }
            return (messages, triggers)
        }
    }

    public func commit(_ conversions: ConversionCommit) async throws -> [FunnelConversion] {
        let now = Date().timeIntervalSince1970
        return try await commits.write { db in
            var insert = try Insert(db)
            var recorded: [FunnelConversion] = []
            let record = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO funnel_conversion(transaction_id, goal, message_id, workflow, converted_at, value)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """
            )
            for (conversion, job) in conversions.conversions {
                try record.execute(arguments: [
                    conversion.transactionId, conversion.goal, conversion.messageId, conversion.workflow,
                    conversion.convertedAt.timeIntervalSince1970, conversion.value,
                ])
                // Once per (transaction, goal): a conversion recorded before keeps its event from going again.
                guard db.changesCount > 0 else { continue }
                if let job { _ = try insert.run(job, now: now, db: db) }
                recorded.append(conversion)
            }
            return recorded
        }
    }

    public func unannouncedTriggers(limit: Int) async throws -> [FunnelTrigger] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM funnel_trigger INDEXED BY funnel_trigger_unannounced
                    WHERE announced = 0 ORDER BY triggered_at LIMIT ?
                    """,
                arguments: [limit]
            ).map(Self.trigger)
        }
    }

    public func announce(_ jobs: [NewJob], transactionIds: [String]) async throws -> [EnqueueResult] {
        let now = Date().timeIntervalSince1970
        return try await commits.write(durable: jobs.isEmpty ? false : true) { db in
            var insert = try Insert(db)
            let results = try jobs.map { try insert.run($0, now: now, db: db) }
            let mark = try db.cachedStatement(sql: "UPDATE funnel_trigger SET announced = 1 WHERE transaction_id = ?")
            for id in transactionIds { try mark.execute(arguments: [id]) }
            return results
        }
    }

    /// Deletes funnel facts older than `retention` (`BRIDGE_FUNNEL_RETENTION`) in batches, each its own short
    /// transaction: triggers by trigger time, messages by first sight, conversions by conversion time.
    /// Returns how many rows went.
    public func pruneFunnel(now: Date, retention: Duration, batchSize: Int = 1000) async throws -> Int {
        let cutoff = now.timeIntervalSince1970 - retention.timeInterval
        let passes = [
            "DELETE FROM funnel_trigger WHERE transaction_id IN (SELECT transaction_id FROM funnel_trigger INDEXED BY funnel_trigger_at WHERE triggered_at < ? LIMIT ?)",
            "DELETE FROM funnel_message WHERE message_id IN (SELECT message_id FROM funnel_message INDEXED BY funnel_message_seen WHERE first_seen_at < ? LIMIT ?)",
        ]
        var total = 0
        for sql in passes {
            while true {
                let deleted = try await commits.write(durable: false) { db in
                    try db.execute(sql: sql, arguments: [cutoff, batchSize])
                    return db.changesCount
                }
                total += deleted
                if deleted < batchSize { break }
            }
        }
        while true {
            let deleted = try await commits.write(durable: false) { db in
                try db.execute(
                    sql: """
                        DELETE FROM funnel_conversion WHERE (transaction_id, goal) IN (
                            SELECT transaction_id, goal FROM funnel_conversion INDEXED BY funnel_conversion_at
                            WHERE converted_at < ? LIMIT ?)
                        """,
                    arguments: [cutoff, batchSize]
                )
                return db.changesCount
            }
            total += deleted
            if deleted < batchSize { break }
        }
        return total
    }

    static func trigger(_ row: Row) -> FunnelTrigger {
        FunnelTrigger(
            transactionId: row["transaction_id"],
            userId: row["user_id"],
            workflow: row["workflow"],
            triggerEvent: row["trigger_event"],
            triggerMessageId: row["trigger_message_id"],
            triggeredAt: Date(timeIntervalSince1970: row["triggered_at"]),
            context: (row["context"] as String?).flatMap { try? JSONValue.parse(Data($0.utf8)) }?.objectValue
        )
    }

    static func message(_ row: Row) -> FunnelMessage {
        func date(_ column: String) -> Date? { (row[column] as Double?).map(Date.init(timeIntervalSince1970:)) }
        return FunnelMessage(
            messageId: row["message_id"],
            transactionId: row["transaction_id"],
            userId: row["user_id"],
            workflow: row["workflow"],
            channel: row["channel"],
            provider: row["provider"],
            firstSeenAt: Date(timeIntervalSince1970: row["first_seen_at"]),
            sentAt: date("sent_at"),
            deliveredAt: date("delivered_at"),
            openedAt: date("opened_at"),
            clickedAt: date("clicked_at"),
            failedAt: date("failed_at"),
            failure: row["failure"],
            convertedAt: date("converted_at")
        )
    }
}

extension SQLiteStore.Insert {
    /// Upserts a message's step: each stage keeps its earliest time (Novu may retry a webhook late, and a
    /// poll may see a change the webhook reported first). A stage seen for the first time is observed.
    mutating func record(_ step: FunnelStep, db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO funnel_message(message_id, transaction_id, user_id, workflow, channel, provider, first_seen_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(message_id) DO UPDATE SET provider = COALESCE(funnel_message.provider, excluded.provider),
                    first_seen_at = MIN(funnel_message.first_seen_at, excluded.first_seen_at)
                """
        ).execute(arguments: [
            step.messageId, step.transactionId, step.userId, step.workflow, step.channel, step.provider,
            step.at.timeIntervalSince1970,
        ])
        let column = step.stage.rawValue + "_at"
        let before = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT \(column) AS stage, delivered_at, sent_at, first_seen_at FROM funnel_message WHERE message_id = ?"
            ),
            arguments: [step.messageId]
        )
        let previous = before?["stage"] as Double?
        let at = step.at.timeIntervalSince1970
        guard previous.map({ at < $0 }) ?? true else { return }
        try db.cachedStatement(
            sql: "UPDATE funnel_message SET \(column) = ?, failure = COALESCE(?, failure) WHERE message_id = ?"
        ).execute(arguments: [at, step.stage == .failed ? step.failure ?? "unknown" : nil, step.messageId])
        guard previous == nil, let before else { return }
        var observation = FunnelObservation(workflow: step.workflow, channel: step.channel, stage: step.stage.rawValue)
        if step.stage == .opened {
            let start = (before["delivered_at"] as Double?) ?? (before["sent_at"] as Double?) ?? (before["first_seen_at"] as Double)
            observation.timeToOpen = max(0, at - start)
        }
        observed.append(observation)
    }
}
