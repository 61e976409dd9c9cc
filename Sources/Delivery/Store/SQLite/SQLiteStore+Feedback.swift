import Foundation
import GRDB

extension SQLiteStore {
    /// Reads `FeedbackFigures` since `since`. `webhookKeyPrefix` is the dedupe-key prefix of a webhook id
    /// (`novu-webhook:`). A feedback job keeps the Novu envelope it came from as its `event`, so its type
    /// and channel are read from there, whatever the mapping file renamed the Segment event to.
    package func feedbackFigures(since: Date, webhookKeyPrefix: String) async throws -> FeedbackFigures {
        try await pool.read { db in
            var figures = FeedbackFigures()
            let cutoff = since.timeIntervalSince1970
            // The partial index's own condition is repeated: SQLite uses a partial index only for a query
            // whose WHERE contains it.
            figures.triggersDelivered =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(*) FROM job INDEXED BY job_done
                        WHERE state IN ('delivered', 'dry_run') AND state = 'delivered' AND settled_at >= ?
                          AND destination = 'novu' AND kind = 'trigger'
                        """,
                    arguments: [cutoff]
                ) ?? 0
            // Keys sharing the prefix sort together: one index range (the character after ':' is ';').
            let upper = String(webhookKeyPrefix.dropLast()) + String(UnicodeScalar(UInt8(webhookKeyPrefix.utf8.last ?? 0) + 1))
            figures.lastWebhookAt = try Double.fetchOne(
                db,
                sql: "SELECT MAX(created_at) FROM dedupe WHERE key >= ? AND key < ?",
                arguments: [webhookKeyPrefix, upper]
            ).map(Date.init(timeIntervalSince1970:))
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT json_extract(CAST(event AS TEXT), '$.type') AS type,
                           json_extract(CAST(event AS TEXT), '$.data.object.channel') AS channel, COUNT(*) AS n
                    FROM job WHERE destination = 'segment' AND created_at >= ? AND json_valid(CAST(event AS TEXT))
                    GROUP BY type, channel
                    """,
                arguments: [cutoff]
            )
            for row in rows {
                guard let type = row["type"] as String? else { continue }
                let channel = (row["channel"] as String?) ?? "-"
                figures.feedback["\(type)/\(channel)", default: 0] += row["n"] as Int
            }
            return figures
        }
    }
}
