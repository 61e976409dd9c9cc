import Foundation
import GRDB
import JSON

/// The funnel's side of the store (`FunnelStore`): facts for the report, candidates for conversions,
/// the outbox of `Notification Triggered`.
extension SQLiteStore: FunnelStore {
    package func funnelFacts(from: Date, to: Date) async throws -> FunnelFacts {
        let range: StatementArguments = [from.timeIntervalSince1970, to.timeIntervalSince1970]
        return try await pool.read { db in
            let triggers = try Row.fetchAll(
                db,
                sql: "SELECT * FROM funnel_trigger INDEXED BY funnel_trigger_at WHERE triggered_at >= ? AND triggered_at < ?",
                arguments: range
            ).map(Self.trigger)
            // The messages of those triggers, whenever they were reported.
            let messages = try Row.fetchAll(
                db,
                sql: """
                    SELECT m.*, (SELECT MIN(converted_at) FROM funnel_conversion c WHERE c.message_id = m.message_id) AS converted_at
                    FROM funnel_trigger t INDEXED BY funnel_trigger_at JOIN funnel_message m ON m.transaction_id = t.transaction_id
                    WHERE t.triggered_at >= ?1 AND t.triggered_at < ?2
                    """,
                arguments: range
            ).map(Self.message)
            return FunnelFacts(triggers: triggers, messages: messages)
        }
    }

    package func conversionCandidates(
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
            for transactionId in Set(messages.map(\.transactionId)) {
                guard let cause = try Self.correlation(transactionId: transactionId, db: db) else { continue }
                triggers[transactionId] = FunnelTrigger(
                    transactionId: transactionId,
                    userId: cause.userId,
                    workflow: cause.workflow,
                    triggerEvent: cause.eventName,
                    triggerMessageId: cause.messageId,
                    triggeredAt: .distantPast,
                    context: cause.context
                )
            }
            return (messages, triggers)
        }
    }

    package func commit(_ conversions: ConversionCommit) async throws -> [FunnelConversion] {
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

    package func unannouncedTriggers(limit: Int) async throws -> [FunnelTrigger] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM funnel_trigger
                    WHERE seq > COALESCE((SELECT position FROM funnel_cursor WHERE name = 'announced'), 0)
                    ORDER BY seq LIMIT ?
                    """,
                arguments: [limit]
            ).map(Self.trigger)
        }
    }

    package func announce(_ jobs: [NewJob], through position: Int64) async throws -> [EnqueueResult] {
        let now = Date().timeIntervalSince1970
        return try await commits.write(durable: !jobs.isEmpty) { db in
            var insert = try Insert(db)
            let results = try jobs.map { try insert.run($0, now: now, db: db) }
            try db.execute(
                sql: """
                    INSERT INTO funnel_cursor(name, position) VALUES ('announced', ?)
                    ON CONFLICT(name) DO UPDATE SET position = MAX(position, excluded.position)
                    """,
                arguments: [position]
            )
            return results
        }
    }

    /// Deletes funnel facts older than `retention` (`BRIDGE_FUNNEL_RETENTION`) in batches, each its own short
    /// transaction: triggers by trigger time, messages by first sight, conversions by conversion time.
    /// Returns how many rows went.
    package func pruneFunnel(now: Date, retention: Duration, batchSize: Int = 1000) async throws -> Int {
        let cutoff = now.timeIntervalSince1970 - retention.timeInterval
        let passes = [
            "DELETE FROM funnel_trigger WHERE seq IN (SELECT seq FROM funnel_trigger INDEXED BY funnel_trigger_at WHERE triggered_at < ? LIMIT ?)",
            "DELETE FROM funnel_message WHERE (transaction_id, message_id) IN (SELECT transaction_id, message_id FROM funnel_message INDEXED BY funnel_message_seen WHERE first_seen_at < ? LIMIT ?)",
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
            context: (row["context"] as String?).flatMap { try? JSONValue.parse(Data($0.utf8)) }?.objectValue,
            position: row["seq"]
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
    /// Appends a message's step to `funnel_step`, in the commit of the event that reports it: one sequential
    /// insert through the C API (this runs for every feedback event, on the one writer thread). The upsert
    /// into `funnel_message`, whose keys land all over its b-trees, happens in batches (`foldFunnelSteps`).
    mutating func record(_ step: FunnelStep, db: Database) throws {
        if stepLog == nil {
            stepLog = RawStatement(
                try db.cachedStatement(
                    sql: """
                        INSERT INTO funnel_step(message_id, transaction_id, user_id, workflow, channel, provider, stage, at, failure)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ),
                db: db
            )
        }
        stepLog?.bind(step.messageId)
        stepLog?.bind(step.transactionId)
        stepLog?.bind(step.userId)
        stepLog?.bind(step.workflow)
        stepLog?.bind(step.channel)
        stepLog?.bind(step.provider)
        stepLog?.bind(step.stage.rawValue)
        stepLog?.bind(step.at.timeIntervalSince1970)
        stepLog?.bind(step.stage == .failed ? step.failure ?? "unknown" : nil)
        try stepLog?.run()
    }
}

extension SQLiteStore {
    /// Folds up to `limit` logged steps into `funnel_message`, oldest first, and deletes them, in one
    /// transaction (a crash before it leaves them to fold again; folding twice changes nothing). Each stage
    /// keeps its earliest time: Novu may retry a webhook late, and a poll may see a change the webhook
    /// reported first. A stage set for the first time is counted in the metrics. Returns how many folded.
    @discardableResult
    package func foldFunnelSteps(limit: Int) async throws -> Int {
        let (folded, observed) = try await commits.write(durable: false) { db -> (Int, [FunnelObservation]) in
            let rows = try Row.fetchAll(db, sql: "SELECT rowid, * FROM funnel_step ORDER BY rowid LIMIT ?", arguments: [limit])
            guard let last = rows.last?["rowid"] as Int64? else { return (0, []) }
            // In key order, so the upserts walk each b-tree once instead of jumping between its pages (with
            // random keys and a small page cache, each jump was a read); a message's steps keep their order.
            let steps = rows.enumerated().sorted { a, b in
                let (ka, kb) = (
                    (a.element["transaction_id"] as String, a.element["message_id"] as String),
                    (b.element["transaction_id"] as String, b.element["message_id"] as String)
                )
                return ka != kb ? ka < kb : a.offset < b.offset
            }
            var upserts: [FunnelStep.Stage: RawStatement] = [:]
            var observed: [FunnelObservation] = []
            for (_, row) in steps {
                guard let stage = FunnelStep.Stage(rawValue: row["stage"]) else { continue }
                if upserts[stage] == nil { upserts[stage] = try Self.foldStatement(stage, db: db) }
                let at: Double = row["at"]
                let workflow: String = row["workflow"]
                let channel: String = row["channel"]
                upserts[stage]?.bind(row["message_id"] as String)
                upserts[stage]?.bind(row["transaction_id"] as String)
                upserts[stage]?.bind(row["user_id"] as String?)
                upserts[stage]?.bind(workflow)
                upserts[stage]?.bind(channel)
                upserts[stage]?.bind(row["provider"] as String?)
                upserts[stage]?.bind(at)
                upserts[stage]?.bind(row["failure"] as String?)
                // A row comes back only when the stage's time was set (or moved earlier).
                guard let set = try upserts[stage]?.firstRow(columns: 3) else { continue }
                var observation = FunnelObservation(workflow: workflow, channel: channel, stage: stage.rawValue)
                if stage == .opened {
                    // From delivery, else sending, else the first report.
                    observation.timeToOpen = max(0, at - (set[0] ?? set[1] ?? set[2] ?? at))
                }
                observed.append(observation)
            }
            try db.execute(sql: "DELETE FROM funnel_step WHERE rowid <= ?", arguments: [last])
            return (rows.count, observed)
        }
        FunnelMetrics.record(observed)
        return folded
    }

    /// The upsert of one stage: its earliest time kept.
    private static func foldStatement(_ stage: FunnelStep.Stage, db: Database) throws -> RawStatement {
        let column = stage.rawValue + "_at"
        return RawStatement(
            try db.cachedStatement(
                sql: """
                    INSERT INTO funnel_message(message_id, transaction_id, user_id, workflow, channel, provider,
                                               first_seen_at, \(column), failure)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)
                    ON CONFLICT(transaction_id, message_id) DO UPDATE SET
                        provider = COALESCE(funnel_message.provider, excluded.provider),
                        user_id = COALESCE(funnel_message.user_id, excluded.user_id),
                        first_seen_at = MIN(funnel_message.first_seen_at, excluded.first_seen_at),
                        \(column) = excluded.\(column),
                        failure = COALESCE(excluded.failure, funnel_message.failure)
                    WHERE funnel_message.\(column) IS NULL OR funnel_message.\(column) > excluded.\(column)
                    RETURNING delivered_at, sent_at, first_seen_at
                    """
            ),
            db: db
        )
    }
}
