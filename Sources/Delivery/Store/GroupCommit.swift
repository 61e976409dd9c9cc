import GRDB
import Synchronization

/// Runs concurrent writes in shared transactions: one commit, and one disk flush, for everything
/// that arrived while the previous commit was being written.
///
/// Each caller's work runs in its own savepoint, so one caller's error fails only that caller.
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
                Task { await self.drain() }
            }
        }
    }

    /// Commits batches until nothing is pending. Only one drain runs at a time.
    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Item] in
                let batch = state.pending
                state.pending = []
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            let durable = batch.contains(where: \.durable)
            do {
                let results = try await writer.writeWithoutTransaction { db in
                    try db.execute(sql: durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
                    var results: [Result<any Sendable, any Error>] = []
                    try db.inTransaction {
                        results = batch.map { item -> Result<any Sendable, any Error> in
                            var result: Result<any Sendable, any Error> = .failure(StoreError("not run"))
                            do {
                                try db.inSavepoint {
                                    result = .success(try item.work(db))
                                    return .commit
                                }
                            } catch {
                                result = .failure(error)
                            }
                            return result
                        }
                        return .commit
                    }
                    return results
                }
                for (item, result) in zip(batch, results) { item.finish(result) }
            } catch {
                for item in batch { item.finish(.failure(error)) }
            }
        }
    }
}
