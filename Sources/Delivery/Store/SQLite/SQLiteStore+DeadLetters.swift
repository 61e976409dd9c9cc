import Foundation
import GRDB

extension SQLiteStore {
    package func deadLetters(_ filter: DeadLetterFilter) async throws -> [DeadLetter] {
        let (condition, arguments) = Self.whereClause(filter)
        return try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, destination, ordering_key, kind, reason, last_status, attempts, created_at,
                           first_attempt_at, last_attempt_at, settled_at
                    FROM job WHERE \(condition) ORDER BY id \(filter.limit.map { "LIMIT \($0)" } ?? "")
                    """,
                arguments: arguments
            ).map(Self.deadLetter)
        }
    }

    package func deadLetter(id: Int64) async throws -> DeadLetterDetail? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT id, destination, ordering_key, kind, reason, last_status, attempts, created_at,
                               first_attempt_at, last_attempt_at, settled_at, event, payload
                        FROM job WHERE id = ? AND state = 'dead'
                        """,
                    arguments: [id]
                )
            else { return nil }
            let attempts = try Row.fetchAll(
                db,
                sql: "SELECT at, status, reason, response, attempt_key, request FROM attempt WHERE job_id = ? ORDER BY rowid",
                arguments: [id]
            ).map { attempt in
                AttemptRecord(
                    at: Date(timeIntervalSince1970: attempt["at"]),
                    status: attempt["status"],
                    reason: attempt["reason"],
                    response: attempt["response"],
                    attemptKey: attempt["attempt_key"],
                    request: attempt["request"]
                )
            }
            let event: Data? = row["event"]
            let payload: Data = row["payload"]
            return DeadLetterDetail(
                letter: Self.deadLetter(row),
                event: event.map { String(decoding: $0, as: UTF8.self) },
                payload: String(decoding: payload, as: UTF8.self),
                attempts: attempts
            )
        }
    }

    package func replayDeadLetters(_ filter: DeadLetterFilter) async throws -> Int {
        let (condition, arguments) = Self.whereClause(filter)
        let now = Date().timeIntervalSince1970
        // Attempts and the last status stay: the next attempt then sends a fresh idempotency key, so Novu
        // does not answer with the error it cached for the old one. The give-up age starts again, and the
        // job counts as not attempted since: due from the moment it is its user's head, whatever the wall
        // clock did meanwhile (see `SettleStatements.advance`).
        return try await commits.write { db in
            let replayed = try Row.fetchAll(
                db,
                sql: """
                    UPDATE job SET state = 'pending', next_attempt_at = ?, claimed_by = NULL, reason = NULL,
                                   settled_at = NULL, first_attempt_at = NULL, last_attempt_at = NULL, is_head = 0
                    WHERE id IN (SELECT id FROM job WHERE \(condition) ORDER BY id \(filter.limit.map { "LIMIT \($0)" } ?? ""))
                    RETURNING destination, ordering_key
                    """,
                arguments: [now] + arguments
            )
            // A replayed job may be older than the jobs queued for its user since: each touched user's
            // head is its oldest pending job again. Except while the user's head is claimed (in flight, or
            // held to gather): moving the mark then would let a second job of the user out beside it. The
            // claimed head keeps the mark, and hands it to the replayed job when it settles (see
            // `SettleStatements.handOver`).
            let users = Set(replayed.map { [$0[0] as String, $0[1] as String] })
            for user in users {
                try db.execute(
                    sql: """
                        UPDATE job SET is_head = (id = (SELECT MIN(o.id) FROM job AS o INDEXED BY job_open
                                                        WHERE o.destination = ?1 AND o.ordering_key = ?2
                                                          AND o.state = 'pending'))
                        WHERE destination = ?1 AND ordering_key = ?2 AND state = 'pending'
                          AND NOT EXISTS (SELECT 1 FROM job AS c INDEXED BY job_open
                                          WHERE c.destination = ?1 AND c.ordering_key = ?2 AND c.state = 'pending'
                                            AND c.claimed_by IS NOT NULL)
                        """,
                    arguments: [user[0], user[1]]
                )
            }
            return replayed.count
        }
    }

    package func purgeDeadLetters(_ filter: DeadLetterFilter) async throws -> Int {
        let (condition, arguments) = Self.whereClause(filter)
        return try await commits.write { db in
            try db.execute(
                sql: """
                    DELETE FROM job
                    WHERE id IN (SELECT id FROM job WHERE \(condition) ORDER BY id \(filter.limit.map { "LIMIT \($0)" } ?? ""))
                    """,
                arguments: arguments
            )
            return db.changesCount
        }
    }

    private static func whereClause(_ filter: DeadLetterFilter) -> (String, StatementArguments) {
        var conditions = ["state = 'dead'"]
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let ids = filter.ids {
            conditions.append("id IN (\(ids.isEmpty ? "NULL" : ids.map { _ in "?" }.joined(separator: ",")))")
            arguments += ids.map { $0 as (any DatabaseValueConvertible)? }
        }
        if let destination = filter.destination {
            conditions.append("destination = ?")
            arguments.append(destination)
        }
        if let reason = filter.reason {
            conditions.append("instr(reason, ?) > 0")
            arguments.append(reason)
        }
        if let since = filter.since {
            conditions.append("settled_at >= ?")
            arguments.append(since.timeIntervalSince1970)
        }
        return (conditions.joined(separator: " AND "), StatementArguments(arguments))
    }

    private static func deadLetter(_ row: Row) -> DeadLetter {
        DeadLetter(
            id: row["id"],
            destination: row["destination"],
            user: row["ordering_key"],
            kind: row["kind"],
            reason: row["reason"] ?? "",
            status: row["last_status"],
            attempts: row["attempts"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            firstAttemptAt: (row["first_attempt_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            lastAttemptAt: (row["last_attempt_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            deadLetteredAt: (row["settled_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        )
    }
}
