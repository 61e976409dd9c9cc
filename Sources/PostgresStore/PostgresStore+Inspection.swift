import Delivery
import Foundation
import PostgresNIO

/// Read-only views for operators and tests, as `SQLiteStore` has them.
extension PostgresStore {
    /// Jobs of `destination` not yet delivered or dead-lettered.
    package func pendingCount(destination: String) async throws -> Int {
        try await number("SELECT COUNT(*) FROM job WHERE destination = \(destination) AND state = 'pending'")
    }

    /// Jobs of `destination` under a claim not yet settled (live or run out).
    package func claimedCount(destination: String) async throws -> Int {
        try await number(
            "SELECT COUNT(*) FROM job WHERE destination = \(destination) AND state = 'pending' AND claimed_by IS NOT NULL"
        )
    }

    /// One job's state, reason and counted attempts.
    package func jobState(id: Int64) async throws -> (state: String, reason: String?, attempts: Int)? {
        try await run("read job \(id)") { connection in
            let rows = try await connection.query("SELECT state, reason, attempts FROM job WHERE id = \(id)", logger: self.logger)
            for try await (state, reason, attempts) in rows.decode((String, String?, Int64).self) {
                return (state, reason, Int(attempts))
            }
            return nil
        }
    }

    /// The dedupe keys remembered (the probe's aside), in order.
    package func dedupeKeys() async throws -> [String] {
        try await run("read the dedupe keys") { connection in
            var keys: [String] = []
            let rows = try await connection.query(
                "SELECT key FROM dedupe WHERE key <> 'bridge:probe' ORDER BY key COLLATE \"C\"",
                logger: self.logger
            )
            for try await key in rows.decode(String.self) { keys.append(key) }
            return keys
        }
    }

    private func number(_ query: PostgresQuery) async throws -> Int {
        try await run("count jobs") { connection in
            for try await value in try await connection.query(query, logger: self.logger).decode(Int64.self) { return Int(value) }
            return 0
        }
    }
}
