import Delivery
import Foundation
import JSON
import PostgresNIO
import Synchronization

/// The fold of logged funnel steps into their messages' rows (`FunnelStore.foldFunnelSteps`).
extension PostgresStore {
    /// Folds up to `limit` logged steps into `funnel_message`, oldest first (by `funnel_step.id`), and
    /// deletes them, in one transaction (a crash before it leaves them to fold again; folding twice changes
    /// nothing). Each stage keeps its earliest time: Novu may retry a webhook late, and a poll may see a
    /// change the webhook reported first. Returns how many folded.
    ///
    /// Replicas fold side by side: each takes the oldest steps no other holds (`SKIP LOCKED`), so a step
    /// folds once, and the rows of the messages they touch (`lockMessages`), so two folds of one message
    /// take turns. The locked rows are read, the steps applied to them in their order as the upsert of
    /// one stage would apply them (`apply`), and the rows written back in one statement: a few round trips
    /// a batch, not one a step. A stage set for the first time is counted in the metrics (a time moved
    /// earlier is not counted again).
    @discardableResult
    package func foldFunnelSteps(limit: Int) async throws -> Int {
        let (folded, observed) = try await transaction("fold funnel steps") { connection -> (Int, [FunnelObservation]) in
            let rows = try await connection.query(
                """
                SELECT id, message_id, transaction_id, user_id, workflow, channel, provider, stage, at, failure
                FROM funnel_step ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """,
                logger: self.logger
            )
            var steps: [(id: Int64, key: FoldKey, step: FunnelStep?)] = []
            for try await (id, messageId, transactionId, userId, workflow, channel, provider, stage, at, failure) in rows.decode(
                (Int64, String, String, String?, String, String, String?, String, Double, String?).self
            ) {
                // A stage this version does not know is deleted with the others, unfolded.
                let step = FunnelStep.Stage(rawValue: stage).map { stage in
                    FunnelStep(
                        messageId: messageId,
                        transactionId: transactionId,
                        userId: userId,
                        workflow: workflow,
                        channel: channel,
                        provider: provider,
                        stage: stage,
                        at: Date(timeIntervalSince1970: at),
                        failure: failure
                    )
                }
                steps.append((id, FoldKey(transactionId: transactionId, messageId: messageId), step))
            }
            guard !steps.isEmpty else { return (0, []) }
            var firsts: [FoldKey: FunnelStep] = [:]
            for case (_, let key, let step?) in steps where firsts[key] == nil { firsts[key] = step }
            var messages = try await self.lockMessages(firsts, on: connection)
            var observed: [FunnelObservation] = []
            // In the order they were logged (by id, as read).
            for (_, key, step) in steps {
                guard let step else { continue }
                if let observation = Self.apply(step, to: &messages[key]) { observed.append(observation) }
            }
            try await self.write(messages.filter(\.value.changed), on: connection)
            try await connection.query("DELETE FROM funnel_step WHERE id = ANY(\(steps.map(\.id))::BIGINT[])", logger: self.logger)
            return (steps.count, observed)
        }
        FunnelMetrics.record(observed)
        return folded
    }

    /// One step applied to its message's row (`nil`: none yet), as the upsert of its stage does: a row is
    /// made with the stage's time; a row whose stage has no time or a later one takes the step's time, its
    /// provider and user where it had none, its first sight if earlier, and the step's failure. Returns the
    /// observation of a stage set for the first time.
    static func apply(_ step: FunnelStep, to message: inout FoldedMessage?) -> FunnelObservation? {
        let at = step.at.timeIntervalSince1970
        let first: Bool
        if var row = message {
            if let current = row.times[step.stage], current <= at { return nil }
            first = row.times[step.stage] == nil
            row.provider = row.provider ?? step.provider
            row.userId = row.userId ?? step.userId
            row.firstSeenAt = min(row.firstSeenAt, at)
            row.times[step.stage] = at
            row.failure = step.failure ?? row.failure
            row.changed = true
            message = row
        } else {
            first = true
            message = FoldedMessage(
                userId: step.userId,
                workflow: step.workflow,
                channel: step.channel,
                provider: step.provider,
                firstSeenAt: at,
                times: [step.stage: at],
                failure: step.failure,
                changed: true
            )
        }
        guard first, let row = message else { return nil }
        var observation = FunnelObservation(workflow: step.workflow, channel: step.channel, stage: step.stage.rawValue)
        if step.stage == .opened {
            // From delivery, else sending, else the first report.
            observation.timeToOpen = max(0, at - (row.times[.delivered] ?? row.times[.sent] ?? row.firstSeenAt))
        }
        return observation
    }

    /// The rows of the messages of `firsts` (each message's first step), locked. A missing row is made
    /// first, from the message's first step with no stage set yet (the fold sets it before COMMIT, so no
    /// one sees it so): a row lock then covers a message that had no row too, where another replica's
    /// fold makes it at the same time (its insert waits for this transaction's, then finds the row). The
    /// rows are made and locked in key order, the same on every replica, so no two folds wait on each
    /// other in a circle.
    private func lockMessages(_ firsts: [FoldKey: FunnelStep], on connection: PostgresConnection) async throws -> [FoldKey: FoldedMessage] {
        guard !firsts.isEmpty else { return [:] }
        let steps = Array(firsts.values)
        let (messageIds, transactionIds) = (steps.map(\.messageId), steps.map(\.transactionId))
        try await connection.query(
            """
            INSERT INTO funnel_message (message_id, transaction_id, workflow, channel, first_seen_at)
            SELECT * FROM unnest(\(messageIds)::TEXT[], \(transactionIds)::TEXT[], \(steps.map(\.workflow))::TEXT[],
                                 \(steps.map(\.channel))::TEXT[], \(steps.map(\.at.timeIntervalSince1970))::DOUBLE PRECISION[])
                AS r (message_id, transaction_id, workflow, channel, first_seen_at)
            ORDER BY transaction_id, message_id
            ON CONFLICT (transaction_id, message_id) DO NOTHING
            """,
            logger: logger
        )
        var messages: [FoldKey: FoldedMessage] = [:]
        let rows = try await connection.query(
            """
            SELECT transaction_id, message_id, user_id, workflow, channel, provider, first_seen_at, sent_at, delivered_at,
                   opened_at, clicked_at, failed_at, failure
            FROM funnel_message
            WHERE (transaction_id, message_id) IN (SELECT * FROM unnest(\(transactionIds)::TEXT[], \(messageIds)::TEXT[]))
            ORDER BY transaction_id, message_id
            FOR UPDATE
            """,
            logger: logger
        )
        for try await (
            transactionId, messageId, userId, workflow, channel, provider, seen, sent, delivered, opened, clicked, failed, failure
        )
            in rows.decode(
                (String, String, String?, String, String, String?, Double, Double?, Double?, Double?, Double?, Double?, String?).self
            )
        {
            let stages: [(FunnelStep.Stage, Double?)] = [
                (.sent, sent), (.delivered, delivered), (.opened, opened), (.clicked, clicked), (.failed, failed),
            ]
            var times: [FunnelStep.Stage: Double] = [:]
            for case (let stage, let at?) in stages { times[stage] = at }
            messages[FoldKey(transactionId: transactionId, messageId: messageId)] = FoldedMessage(
                userId: userId,
                workflow: workflow,
                channel: channel,
                provider: provider,
                firstSeenAt: seen,
                times: times,
                failure: failure
            )
        }
        return messages
    }

    /// Writes the folded rows back, up to 1,000 to a statement (13 parameters a row). Each row is there,
    /// locked (`lockMessages`), but for one pruned meanwhile: the upsert makes that one again.
    private func write(_ messages: [FoldKey: FoldedMessage], on connection: PostgresConnection) async throws {
        let rows = messages.sorted { $0.key < $1.key }
        for start in stride(from: 0, to: rows.count, by: 1000) {
            var binds = PostgresBindings(capacity: 13 * min(1000, rows.count - start))
            var values: [String] = []
            for (key, row) in rows[start..<min(start + 1000, rows.count)] {
                let first = 13 * values.count + 1
                values.append("(" + (first..<first + 13).map { "$\($0)" }.joined(separator: ", ") + ")")
                binds.append(key.messageId)
                binds.append(key.transactionId)
                binds.append(row.userId)
                binds.append(row.workflow)
                binds.append(row.channel)
                binds.append(row.provider)
                binds.append(row.firstSeenAt)
                for stage in [FunnelStep.Stage.sent, .delivered, .opened, .clicked, .failed] { binds.append(row.times[stage]) }
                binds.append(row.failure)
            }
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO funnel_message (message_id, transaction_id, user_id, workflow, channel, provider, first_seen_at,
                                                    sent_at, delivered_at, opened_at, clicked_at, failed_at, failure)
                        VALUES \(values.joined(separator: ", "))
                        ON CONFLICT (transaction_id, message_id) DO UPDATE SET
                            user_id = excluded.user_id, provider = excluded.provider, first_seen_at = excluded.first_seen_at,
                            sent_at = excluded.sent_at, delivered_at = excluded.delivered_at, opened_at = excluded.opened_at,
                            clicked_at = excluded.clicked_at, failed_at = excluded.failed_at, failure = excluded.failure
                        """,
                    binds: binds
                ),
                logger: logger
            )
        }
    }
}

/// A message's key in `funnel_message`.
struct FoldKey: Hashable, Comparable {
    var transactionId: String
    var messageId: String

    static func < (a: FoldKey, b: FoldKey) -> Bool { (a.transactionId, a.messageId) < (b.transactionId, b.messageId) }
}

/// A `funnel_message` row as the fold reads and writes it.
struct FoldedMessage: Equatable {
    var userId: String?
    var workflow: String
    var channel: String
    var provider: String?
    var firstSeenAt: Double
    var times: [FunnelStep.Stage: Double]
    var failure: String?
    /// Whether a step changed it since it was read.
    var changed = false
}
