import Delivery
import Foundation
import JSON
import PostgresNIO
import Synchronization

/// The funnel's side of the store (`FunnelStore`): facts for the report, candidates for conversions,
/// the outbox of `Notification Triggered`, shared by the replicas.
///
/// The outbox is a cursor over `funnel_trigger.seq`, which PostgreSQL hands out when a row is inserted,
/// not when it commits: a settle that took seq 7 may commit after one that took seq 8. The cursor passes
/// a seq only once no settle that could commit a lower one is still open (`triggerGate`), so no trigger
/// is left behind it.
///
/// Its locks are row and table locks, each held to the end of its transaction.
extension PostgresStore: FunnelStore {
    /// The trigger gate, as a CTE of the statement that records a trigger: a lock on `funnel_cursor` that
    /// settles share (ROW SHARE, taken when the statement is parsed, before a seq is taken, and locking no
    /// row; PostgreSQL keeps such locks off its shared lock table). `unannouncedTriggers` takes the table
    /// EXCLUSIVE before it reads: it waits for every settle still open with a seq, and new ones wait for
    /// its read. The gate is the one-row cursor table, not `funnel_trigger`: an EXCLUSIVE lock waits for
    /// a table's vacuum and then cancels it, and a long vacuum of a large table would never finish.
    static let triggerGate = "SELECT FROM funnel_cursor WHERE FALSE FOR KEY SHARE"

    /// The columns of `funnel_message` a `FunnelMessage` is read from, with its first conversion; `m` is
    /// the message's row.
    static let messageColumns = """
        m.message_id, m.transaction_id, m.user_id, m.workflow, m.channel, m.provider, m.first_seen_at, m.sent_at,
        m.delivered_at, m.opened_at, m.clicked_at, m.failed_at, m.failure,
        (SELECT MIN(converted_at) FROM funnel_conversion c WHERE c.message_id = m.message_id)
        """

    static let triggerColumns = """
        seq, transaction_id, user_id, workflow, trigger_event, trigger_message_id, context, triggered_at
        """

    package func funnelFacts(from: Date, to: Date) async throws -> FunnelFacts {
        let (start, end) = (from.timeIntervalSince1970, to.timeIntervalSince1970)
        return try await run("read the funnel facts") { connection in
            let triggers = try await self.triggers(
                connection.query(
                    """
                    SELECT \(unescaped: Self.triggerColumns) FROM funnel_trigger
                    WHERE triggered_at >= \(start) AND triggered_at < \(end) ORDER BY triggered_at, seq
                    """,
                    logger: self.logger
                )
            )
            // The messages of those triggers, whenever they were reported.
            let messages = try await self.messages(
                connection.query(
                    """
                    SELECT \(unescaped: Self.messageColumns)
                    FROM funnel_trigger t JOIN funnel_message m ON m.transaction_id = t.transaction_id
                    WHERE t.triggered_at >= \(start) AND t.triggered_at < \(end)
                    ORDER BY t.triggered_at, t.seq, m.message_id
                    """,
                    logger: self.logger
                )
            )
            return FunnelFacts(triggers: triggers, messages: messages)
        }
    }

    package func conversionCandidates(
        userId: String,
        since: Date
    ) async throws -> (messages: [FunnelMessage], triggers: [String: FunnelTrigger]) {
        let after = since.timeIntervalSince1970
        return try await run("read the conversion candidates") { connection in
            let messages = try await self.messages(
                connection.query(
                    """
                    SELECT \(unescaped: Self.messageColumns) FROM funnel_message m
                    WHERE m.user_id = \(userId) AND m.first_seen_at >= \(after)
                    ORDER BY m.first_seen_at, m.transaction_id, m.message_id
                    """,
                    logger: self.logger
                )
            )
            let transactionIds = Array(Set(messages.map(\.transactionId)))
            guard !transactionIds.isEmpty else { return (messages, [:]) }
            let causes = try await self.correlations(transactionIds: transactionIds, on: connection)
            var triggers: [String: FunnelTrigger] = [:]
            for (transactionId, cause) in causes {
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

    /// Records conversions and queues their events in one transaction. A (transaction, goal) recorded
    /// before, by any replica, keeps its event from going again: a second insert of the key waits for
    /// the first's transaction and then records nothing.
    package func commit(_ conversions: ConversionCommit) async throws -> [FunnelConversion] {
        let now = Date().timeIntervalSince1970
        return try await transaction("record \(conversions.conversions.count) conversion(s)") { connection in
            var recorded: [FunnelConversion] = []
            for (conversion, job) in conversions.conversions {
                let inserted = try await self.count(
                    connection.query(
                        """
                        INSERT INTO funnel_conversion (transaction_id, goal, message_id, workflow, converted_at, value)
                        VALUES (\(conversion.transactionId), \(conversion.goal), \(conversion.messageId), \(conversion.workflow),
                                \(conversion.convertedAt.timeIntervalSince1970), \(conversion.value))
                        ON CONFLICT (transaction_id, goal) DO NOTHING RETURNING 1
                        """,
                        logger: self.logger
                    )
                )
                guard inserted > 0 else { continue }
                if let job { _ = try await self.insert(job, now: now, on: connection) }
                recorded.append(conversion)
            }
            return recorded
        }
    }

    /// Up to `limit` triggers past the cursor, in seq order. It first waits for the settles still
    /// recording triggers (`triggerGate`, closed while it reads): a seq lower than one read here can then
    /// no longer commit. The cursor it read is remembered with the batch, for `announce`.
    package func unannouncedTriggers(limit: Int) async throws -> [FunnelTrigger] {
        let (after, triggers) = try await transaction("read the unannounced triggers") { connection in
            try await connection.query("LOCK TABLE funnel_cursor IN EXCLUSIVE MODE", logger: self.logger)
            let after = try await self.announcedThrough(on: connection)
            let triggers = try await self.triggers(
                connection.query(
                    "SELECT \(unescaped: Self.triggerColumns) FROM funnel_trigger WHERE seq > \(after) ORDER BY seq LIMIT \(limit)",
                    logger: self.logger
                )
            )
            return (after, triggers)
        }
        if let last = triggers.last?.position {
            announcementReads.withLock { reads in
                // Batches the cursor has passed are announced: their reads are of no use any more.
                reads = reads.filter { $0.key > after }
                if reads.count >= 64, let oldest = reads.keys.min() { reads[oldest] = nil }
                reads[last] = after
            }
        }
        return triggers
    }

    /// Queues the announcements and moves the cursor to `position`, in one transaction, taking turns with
    /// other replicas' announcements on the cursor's row lock. Announcements carry no dedupe keys, so the
    /// cursor decides: when it moved since this batch was read (`unannouncedTriggers` remembers from
    /// where), another replica announced this batch, or its start, and nothing is queued (every result is
    /// `.duplicate`); what is left of it is read again from the new cursor. A batch read elsewhere is
    /// queued unless the cursor is already at `position`. The cursor never moves back (`GREATEST`).
    package func announce(_ jobs: [NewJob], through position: Int64) async throws -> [EnqueueResult] {
        let now = Date().timeIntervalSince1970
        let readAfter = announcementReads.withLock { $0[position] }
        return try await transaction("announce \(jobs.count) job(s)") { connection in
            // Locks the cursor's row (made at 0 the first time) and reads it as the last COMMIT left it.
            let locked = try await connection.query(
                """
                INSERT INTO funnel_cursor (name, position) VALUES ('announced', 0)
                ON CONFLICT (name) DO UPDATE SET position = funnel_cursor.position RETURNING position
                """,
                logger: self.logger
            )
            var cursor: Int64 = 0
            for try await position in locked.decode(Int64.self) { cursor = position }
            if cursor >= position || readAfter.map({ cursor != $0 }) == true {
                return jobs.map { _ in .duplicate }
            }
            var results: [EnqueueResult] = []
            results.reserveCapacity(jobs.count)
            for job in jobs { results.append(try await self.insert(job, now: now, on: connection)) }
            try await connection.query(
                """
                INSERT INTO funnel_cursor (name, position) VALUES ('announced', \(position))
                ON CONFLICT (name) DO UPDATE SET position = GREATEST(funnel_cursor.position, excluded.position)
                """,
                logger: self.logger
            )
            return results
        }
    }

    /// Where the announcement cursor is: the seq of the last trigger announced, 0 before the first.
    private func announcedThrough(on connection: PostgresConnection) async throws -> Int64 {
        let rows = try await connection.query(
            "SELECT COALESCE((SELECT position FROM funnel_cursor WHERE name = 'announced'), 0)::BIGINT",
            logger: logger
        )
        for try await position in rows.decode(Int64.self) { return position }
        return 0
    }

    /// Deletes funnel facts older than `retention` (`BRIDGE_FUNNEL_RETENTION`) in batches, each its own short
    /// transaction: triggers by trigger time, messages by first sight, conversions by conversion time.
    /// Rows another transaction holds (a message being folded, a batch another replica is pruning) are
    /// skipped, not waited for. Returns how many rows went.
    package func pruneFunnel(now: Date, retention: Duration, batchSize: Int = 1000) async throws -> Int {
        let cutoff = now.timeIntervalSince1970 - retention.timeInterval
        var total = try await pruneInBatches(
            of: batchSize,
            """
            DELETE FROM funnel_trigger WHERE seq IN (SELECT seq FROM funnel_trigger WHERE triggered_at < \(cutoff)
                                                     LIMIT \(batchSize) FOR UPDATE SKIP LOCKED)
            RETURNING 1
            """
        )
        total += try await pruneInBatches(
            of: batchSize,
            """
            DELETE FROM funnel_message WHERE (transaction_id, message_id) IN (
                SELECT transaction_id, message_id FROM funnel_message WHERE first_seen_at < \(cutoff)
                LIMIT \(batchSize) FOR UPDATE SKIP LOCKED)
            RETURNING 1
            """
        )
        total += try await pruneInBatches(
            of: batchSize,
            """
            DELETE FROM funnel_conversion WHERE (transaction_id, goal) IN (
                SELECT transaction_id, goal FROM funnel_conversion WHERE converted_at < \(cutoff)
                LIMIT \(batchSize) FOR UPDATE SKIP LOCKED)
            RETURNING 1
            """
        )
        return total
    }

    private func triggers(_ rows: PostgresRowSequence) async throws -> [FunnelTrigger] {
        var triggers: [FunnelTrigger] = []
        for try await (seq, transactionId, userId, workflow, event, messageId, context, at) in rows.decode(
            (Int64, String, String, String, String, String, String?, Double).self
        ) {
            triggers.append(
                FunnelTrigger(
                    transactionId: transactionId,
                    userId: userId,
                    workflow: workflow,
                    triggerEvent: event,
                    triggerMessageId: messageId,
                    triggeredAt: Date(timeIntervalSince1970: at),
                    context: context.flatMap { try? JSONValue.parse(Data($0.utf8)) }?.objectValue,
                    position: seq
                )
            )
        }
        return triggers
    }

    /// Reads rows of `messageColumns`.
    private func messages(_ rows: PostgresRowSequence) async throws -> [FunnelMessage] {
        func date(_ seconds: Double?) -> Date? { seconds.map(Date.init(timeIntervalSince1970:)) }
        var messages: [FunnelMessage] = []
        for try await (
            id, transactionId, userId, workflow, channel, provider, seen, sent, delivered, opened, clicked, failed, failure, converted
        )
            in rows.decode(
                (
                    String, String, String?, String, String, String?, Double, Double?, Double?, Double?, Double?, Double?, String?,
                    Double?
                ).self
            )
        {
            messages.append(
                FunnelMessage(
                    messageId: id,
                    transactionId: transactionId,
                    userId: userId,
                    workflow: workflow,
                    channel: channel,
                    provider: provider,
                    firstSeenAt: Date(timeIntervalSince1970: seen),
                    sentAt: date(sent),
                    deliveredAt: date(delivered),
                    openedAt: date(opened),
                    clickedAt: date(clicked),
                    failedAt: date(failed),
                    failure: failure,
                    convertedAt: date(converted)
                )
            )
        }
        return messages
    }
}
