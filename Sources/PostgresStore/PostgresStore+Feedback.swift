import Delivery
import Foundation
import JSON
import PostgresNIO

extension PostgresStore {
    /// Reads `FeedbackFigures` since `since`. `webhookKeyPrefix` is the dedupe-key prefix of a webhook id
    /// (`novu-webhook:`). A feedback job keeps the Novu envelope it came from as its `event`, so its type
    /// and channel are read from there, whatever the mapping file renamed the Segment event to.
    package func feedbackFigures(since: Date, webhookKeyPrefix: String) async throws -> FeedbackFigures {
        let cutoff = since.timeIntervalSince1970
        return try await run("read the feedback figures") { connection in
            var figures = FeedbackFigures()
            let delivered = try await connection.query(
                """
                SELECT COUNT(*) FROM job
                WHERE state = 'delivered' AND settled_at >= \(cutoff) AND destination = 'novu' AND kind = 'trigger'
                """,
                logger: self.logger
            )
            for try await count in delivered.decode(Int64.self) { figures.triggersDelivered = Int(count) }
            // The newest key with the prefix, walked down the age index: under a database collation other
            // than "C", the keys with a prefix need not sort together, so no key range finds them.
            let newest = try await connection.query(
                """
                SELECT created_at FROM dedupe WHERE starts_with(key, \(webhookKeyPrefix))
                ORDER BY created_at DESC LIMIT 1
                """,
                logger: self.logger
            )
            for try await at in newest.decode(Double.self) { figures.lastWebhookAt = Date(timeIntervalSince1970: at) }
            // Only an object is read as JSON: an event that is not one is left out, not an error of the query.
            // The bytes are read as LATIN1, which any byte but NUL is, so no encoding error stops the query
            // either; JSON's structure, and the types and channels Novu sends, are ASCII, read the same.
            // `json`, not `jsonb`: it takes `\u0000` in a string. The CASE keeps the checks in their order.
            let valid = try await self.jsonCheck(on: connection)
            do {
                let rows = try await connection.query(
                    """
                    SELECT e.body ->> 'type', e.body -> 'data' -> 'object' ->> 'channel', COUNT(*)
                    FROM (SELECT convert_from(event, 'LATIN1')::json AS body FROM job
                          WHERE destination = 'segment' AND created_at >= \(cutoff)
                            AND CASE WHEN substring(event FROM 1 FOR 1) = '\\x7b'::BYTEA AND position('\\x00'::BYTEA IN event) = 0
                                     THEN \(unescaped: valid) ELSE FALSE END
                          OFFSET 0) e
                    GROUP BY 1, 2
                    """,
                    logger: self.logger
                )
                for try await (type, channel, count) in rows.decode((String?, String?, Int64).self) {
                    guard let type else { continue }
                    figures.feedback["\(type)/\(channel ?? "-")", default: 0] += Int(count)
                }
            } catch let error as PSQLError where error.serverInfo?[.sqlState]?.hasPrefix("22") == true {
                // An event PostgreSQL cannot read as JSON, where it cannot say so beforehand (before 16): the
                // events are read here instead, each parsed on its own.
                figures.feedback = try await self.feedbackParsedHere(since: cutoff, on: connection)
            }
            return figures
        }
    }

    /// The condition that keeps an event that is not valid JSON out of `feedbackFigures`' query: PostgreSQL
    /// 16 checks it (`pg_input_is_valid`); before 16 nothing can, and a query that meets one fails and is
    /// read again by `feedbackParsedHere`. The bridge queues events it parsed: that is for rows it did not.
    private func jsonCheck(on connection: PostgresConnection) async throws -> String {
        let rows = try await connection.query("SELECT current_setting('server_version_num')::INT", logger: logger)
        for try await version in rows.decode(Int.self) where version >= 160000 {
            return "pg_input_is_valid(convert_from(event, 'LATIN1'), 'json')"
        }
        return "TRUE"
    }

    /// `FeedbackFigures.feedback` counted from the events themselves, each read as LATIN1 and parsed on
    /// its own, as the query reads them.
    private func feedbackParsedHere(since cutoff: Double, on connection: PostgresConnection) async throws -> [String: Int] {
        let rows = try await connection.query(
            "SELECT event FROM job WHERE destination = 'segment' AND created_at >= \(cutoff) AND event IS NOT NULL",
            logger: logger
        )
        var feedback: [String: Int] = [:]
        for try await event in rows.decode(Data.self) {
            let text = String(String.UnicodeScalarView(event.map(Unicode.Scalar.init)))
            guard let envelope = try? JSONValue.parse(Data(text.utf8)), envelope.objectValue != nil,
                let type = envelope["type"]?.stringValue
            else { continue }
            feedback["\(type)/\(envelope["data"]?["object"]?["channel"]?.stringValue ?? "-")", default: 0] += 1
        }
        return feedback
    }
}
