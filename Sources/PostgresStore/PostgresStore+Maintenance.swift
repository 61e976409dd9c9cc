import Delivery
import Foundation
import PostgresNIO

/// Retention and the figures operators and gauges read, on the shared store.
extension PostgresStore {
    /// Deletes what retention lets go, in batches of `batchSize` rows, each its own short transaction, so
    /// no replica's ingest waits behind a long delete. Pending jobs are never pruned; a job's attempts go
    /// with it (`ON DELETE CASCADE`).
    package func prune(
        now: Date,
        retention: Duration,
        correlationRetention: Duration,
        deadLetterRetention: Duration,
        batchSize: Int
    ) async throws -> PruneResult {
        let epoch = now.timeIntervalSince1970
        let jobCutoff = epoch - retention.timeInterval
        // A correlation is also the dedupe entry of the job it came with: kept at least as long as keys.
        let correlationCutoff = epoch - max(correlationRetention, retention).timeInterval
        let deadCutoff = epoch - deadLetterRetention.timeInterval
        var result = PruneResult()
        result.jobs = try await pruneInBatches(
            of: batchSize,
            """
            DELETE FROM job WHERE id IN (SELECT id FROM job WHERE state IN ('delivered', 'dry_run')
                                         AND settled_at < \(jobCutoff) LIMIT \(batchSize))
            RETURNING 1
            """
        )
        // By the time it was dead-lettered: an operator gets the whole retention to look at a letter.
        result.deadLetters = try await pruneInBatches(
            of: batchSize,
            """
            DELETE FROM job WHERE id IN (SELECT id FROM job WHERE state = 'dead' AND settled_at < \(deadCutoff)
                                         LIMIT \(batchSize))
            RETURNING 1
            """
        )
        result.dedupeKeys = try await pruneInBatches(
            of: batchSize,
            """
            DELETE FROM dedupe WHERE key IN (SELECT key FROM dedupe WHERE created_at < \(jobCutoff)
                                             AND key <> 'bridge:probe' LIMIT \(batchSize))
            RETURNING 1
            """
        )
        result.correlations = try await pruneInBatches(
            of: batchSize,
            """
            DELETE FROM correlation WHERE transaction_id IN (SELECT transaction_id FROM correlation
                                                             WHERE created_at < \(correlationCutoff) LIMIT \(batchSize))
            RETURNING 1
            """
        )
        // Followed no longer than its correlation is kept; ended follows go with the same cutoff.
        result.follows = try await pruneInBatches(
            of: batchSize,
            """
            WITH gone AS (
                DELETE FROM follow WHERE transaction_id IN (SELECT transaction_id FROM follow
                                                            WHERE since < \(correlationCutoff) LIMIT \(batchSize))
                RETURNING transaction_id),
            messages AS (DELETE FROM follow_message WHERE transaction_id IN (SELECT transaction_id FROM gone))
            SELECT 1 FROM gone
            """
        )
        return result
    }

    /// Runs `batch` (a delete of at most `batchSize` rows, returning a row per row deleted) until a batch
    /// deletes fewer; returns how many went.
    func pruneInBatches(of batchSize: Int, _ batch: PostgresQuery) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await transaction("prune", durable: false) { connection in
                try await self.count(connection.query(batch, logger: self.logger))
            }
            total += deleted
            if deleted < batchSize { return total }
        }
    }
}
