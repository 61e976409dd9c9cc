import GRDB
import Synchronization

/// Runs concurrent writes in shared transactions: one commit, and one disk flush, for everything
/// that arrived while the previous commit was being written.
///
/// The batches run on the writer's own queue, one after another, with no task in between: a caller
/// hands its work over and is resumed from that queue once the commit holding it is done.
///
/// A batch first runs every caller's work straight in one transaction. Only if some work throws is the
/// transaction rolled back and the batch run again with a savepoint per caller, so one caller's error
/// fails only that caller; the common case pays no savepoint statements. A storage failure (a full disk,
/// an I/O error) fails every caller of the batch with that error.
///
/// Only work that must survive power loss (queued events, operator actions) asks for a durable commit;
/// a batch holding any such work commits with `synchronous=FULL`, others (claims, settlements) with
/// `NORMAL`. In WAL mode the next full commit flushes every earlier frame too, so a lost settlement can
/// only cause a resend with the same ids, never a lost event.
/// Callers resume only after the transaction holding their work has committed; if the commit itself
/// fails (disk full, read-only file), every caller of that batch gets the error.
final class GroupCommit: Sendable {
    private struct Item: Sendable {
        var durable: Bool
        var work: @Sendable (Database) throws -> any Sendable
        var finish: @Sendable (Result<any Sendable, any Error>) -> Void
    }

    private struct State {
        var pending: [Item] = []
        var draining = false
    }

    private let writer: any DatabaseWriter
    private let state = Mutex(State())
    /// The writer connection's current `synchronous` setting; only touched on the writer queue.
    private let synchronousFull = Mutex(true)
    /// What the latest batch told about the disk, for readiness (`StoreHealth`).
    private let outcome = Mutex(CommitOutcome.none)

    /// `writer`'s connection must already run with `synchronous=FULL`.
    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// Runs `work` inside the next shared transaction and returns its result after the commit.
    func write<T: Sendable>(durable: Bool = true, _ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let item = Item(
                durable: durable,
                work: { db in try work(db) },
                finish: { result in
                    // The cast cannot fail: `work` produced this value.
                    continuation.resume(with: result.map { $0 as! T })
                }
            )
            let startDrain = state.withLock { state -> Bool in
                state.pending.append(item)
                if state.draining { return false }
                state.draining = true
                return true
            }
            if startDrain {
                writer.asyncWriteWithoutTransaction { db in self.drain(db) }
            }
        }
    }

    /// How many callers wait for the next batch (for tests).
    var waiting: Int { state.withLock { $0.pending.count } }

    /// What the latest batch that told anything about the disk told.
    var lastOutcome: CommitOutcome { outcome.withLock { $0 } }

    /// Commits batches until nothing is pending. Runs on the writer queue; only one drain runs at a time.
    private func drain(_ db: Database) {
        while true {
            let batch = state.withLock { state -> [Item] in
                let batch = state.pending
                state.pending = []
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            let results = commit(batch, db: db)
            // One clock read and one lock per batch: readiness costs the hot path no more.
            let now = ContinuousClock.now
            outcome.withLock { $0 = $0.after(results, at: now) }
            for (item, result) in zip(batch, results) { item.finish(result) }
        }
    }

    private func commit(_ batch: [Item], db: Database) -> [Result<any Sendable, any Error>] {
        do {
            try setSynchronous(full: batch.contains(where: \.durable), db: db)
            // Set once every caller's work has run; still nil if some work threw.
            var straight: [Result<any Sendable, any Error>]? = nil
            do {
                try db.inTransaction {
                    straight = try batch.map { item -> Result<any Sendable, any Error> in .success(try item.work(db)) }
                    return .commit
                }
                if let straight { return straight }
            } catch  where straight == nil && batch.count > 1 && !CommitOutcome.isStorageFailure(error) {
                // Some caller's work threw and the transaction was rolled back: run the batch again with
                // a savepoint per caller, so only that caller fails. Not after a storage failure (a full
                // disk): that is no caller's fault, and SQLite may have rolled back the whole transaction,
                // so the savepoints after it would fail as "aborted" and hide the cause.
            }
            var results: [Result<any Sendable, any Error>] = []
            try db.inTransaction {
                for item in batch {
                    var result: Result<any Sendable, any Error> = .failure(StoreError("not run"))
                    do {
                        try db.inSavepoint {
                            result = .success(try item.work(db))
                            return .commit
                        }
                    } catch {
                        // A storage failure fails the whole batch (see above).
                        if CommitOutcome.isStorageFailure(error) { throw error }
                        result = .failure(error)
                    }
                    results.append(result)
                }
                return .commit
            }
            return results
        } catch {
            return batch.map { _ in .failure(error) }
        }
    }

    private func setSynchronous(full: Bool, db: Database) throws {
        let current = synchronousFull.withLock { $0 }
        guard current != full else { return }
        try db.execute(sql: full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
        synchronousFull.withLock { $0 = full }
    }
}
