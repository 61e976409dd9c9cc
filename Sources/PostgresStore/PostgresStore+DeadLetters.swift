import Delivery
import Foundation
import PostgresNIO

/// The dead-letter queue on the shared store: every replica's `bridge dlq` sees and acts on the same one.
extension PostgresStore {
    private static let letterColumns = """
        id, destination, ordering_key, kind, reason, last_status, attempts, created_at, first_attempt_at,
        last_attempt_at, settled_at
        """

    package func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter] {
        let query = try Self.filtered("SELECT \(Self.letterColumns) FROM job WHERE", filter, suffix: "")
        return try await run("list dead letters") { connection in
            var letters: [DeadLetter] = []
            for try await row in try await connection.query(query, logger: self.logger).decode(LetterRow.self) {
                letters.append(Self.deadLetter(row))
            }
            return letters
        }
    }

    package func deadLetter(id: Int64) async throws -> DeadLetterDetail? {
        try await run("read dead letter \(id)") { connection -> DeadLetterDetail? in
            var found: (DeadLetter, Data?, Data)? = nil
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.letterColumns), event, payload FROM job WHERE id = \(id) AND state = 'dead'",
                logger: self.logger
            )
            for try await (id, destination, key, kind, reason, status, attempts, created, first, last, settled, event, payload)
                in rows.decode((Int64, String, String, String, String?, Int64?, Int64, Double, Double?, Double?, Double?, Data?, Data).self)
            {
                let letter = Self.deadLetter((id, destination, key, kind, reason, status, attempts, created, first, last, settled))
                found = (letter, event, payload)
            }
            guard let (letter, event, payload) = found else { return nil }
            var attempts: [AttemptRecord] = []
            let attemptRows = try await connection.query(
                "SELECT at, status, reason, response, attempt_key, request FROM attempt WHERE job_id = \(id) ORDER BY id",
                logger: self.logger
            )
            for try await (at, status, reason, response, key, request) in attemptRows.decode(
                (Double, Int64?, String, String?, String?, String?).self
            ) {
                attempts.append(
                    AttemptRecord(
                        at: Date(timeIntervalSince1970: at),
                        status: status.map(Int.init),
                        reason: reason,
                        response: response,
                        attemptKey: key,
                        request: request
                    )
                )
            }
            return DeadLetterDetail(
                letter: letter,
                event: event.map { String(decoding: $0, as: UTF8.self) },
                payload: String(decoding: payload, as: UTF8.self),
                attempts: attempts
            )
        }
    }

    /// Puts matching dead letters back with their ids, each due now and counted as never attempted since.
    /// No head mark to move: a replayed job older than its user's queued jobs is the head by its id, and
    /// waits while a newer job of its user is claimed (see `headOfIdleUser`).
    package func replayDeadLetters(_ filter: DeadLetterFilter) async throws -> Int {
        let now = Date().timeIntervalSince1970
        let selection = try Self.filtered("SELECT id FROM job WHERE", filter, suffix: "FOR UPDATE")
        return try await transaction("replay dead letters") { connection in
            var query = selection
            query.binds.append(now)
            query.sql = """
                UPDATE job SET state = 'pending', next_attempt_at = $\(query.binds.count), claimed_by = NULL,
                               lease_until = NULL, reason = NULL, settled_at = NULL, first_attempt_at = NULL,
                               last_attempt_at = NULL
                WHERE id IN (\(selection.sql)) RETURNING 1
                """
            return try await self.count(connection.query(query, logger: self.logger))
        }
    }

    package func purgeDeadLetters(_ filter: DeadLetterFilter) async throws -> Int {
        let selection = try Self.filtered("SELECT id FROM job WHERE", filter, suffix: "FOR UPDATE")
        return try await transaction("purge dead letters") { connection in
            var query = selection
            query.sql = "DELETE FROM job WHERE id IN (\(selection.sql)) RETURNING 1"
            return try await self.count(connection.query(query, logger: self.logger))
        }
    }

    /// `head` followed by the filter's conditions, oldest first, with its limit and `suffix`.
    private static func filtered(_ head: String, _ filter: DeadLetterFilter, suffix: String) throws -> PostgresQuery {
        var conditions = ["state = 'dead'"]
        var binds = PostgresBindings()
        if let ids = filter.ids {
            binds.append(ids)
            conditions.append("id = ANY($\(binds.count)::BIGINT[])")
        }
        if let destination = filter.destination {
            binds.append(destination)
            conditions.append("destination = $\(binds.count)")
        }
        if let reason = filter.reason {
            binds.append(reason)
            conditions.append("strpos(reason, $\(binds.count)) > 0")
        }
        if let since = filter.since {
            binds.append(since.timeIntervalSince1970)
            conditions.append("settled_at >= $\(binds.count)")
        }
        let limit = filter.limit.map { " LIMIT \($0)" } ?? ""
        return PostgresQuery(
            unsafeSQL: "\(head) \(conditions.joined(separator: " AND ")) ORDER BY id\(limit) \(suffix)",
            binds: binds
        )
    }

    /// The columns of `letterColumns`, in order.
    private typealias LetterRow = (Int64, String, String, String, String?, Int64?, Int64, Double, Double?, Double?, Double?)

    private static func deadLetter(_ row: LetterRow) -> DeadLetter {
        let (id, destination, key, kind, reason, status, attempts, created, first, last, settled) = row
        return DeadLetter(
            id: id,
            destination: destination,
            user: key,
            kind: kind,
            reason: reason ?? "",
            status: status.map(Int.init),
            attempts: Int(attempts),
            createdAt: Date(timeIntervalSince1970: created),
            firstAttemptAt: first.map(Date.init(timeIntervalSince1970:)),
            lastAttemptAt: last.map(Date.init(timeIntervalSince1970:)),
            deadLetteredAt: settled.map(Date.init(timeIntervalSince1970:))
        )
    }
}
