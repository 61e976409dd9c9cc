import Foundation
import GRDB
import Synchronization
import TestSupport
import Testing

@testable import Delivery

@Suite("Group commit")
struct GroupCommitTests {
    struct Refused: Error, Equatable {}

    /// Holds the writer queue busy until `release()`, so that writes submitted meanwhile form one batch.
    final class BusyWriter: Sendable {
        private let started = DispatchSemaphore(value: 0)
        private let released = DispatchSemaphore(value: 0)
        private let isReleased = Atomic(false)

        init(_ pool: DatabasePool) {
            pool.asyncWriteWithoutTransaction { [started, released] _ in
                started.signal()
                released.wait()
            }
            started.wait()
        }

        /// Lets the writer queue go; calls after the first do nothing.
        func release() {
            if isReleased.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged { released.signal() }
        }
    }

    @Test("one caller's failing work fails only that caller; the rest of its batch commits")
    func failureIsolated() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let busy = BusyWriter(store.pool)
        async let outcomes = withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
            for index in 0..<10 {
                group.addTask {
                    do {
                        return (
                            index,
                            .success(
                                try await store.commits.write { db in
                                    try db.execute(sql: "INSERT INTO dedupe(key, created_at) VALUES (?, 0)", arguments: ["k\(index)"])
                                    if index == 4 { throw Refused() }
                                    return index
                                }
                            )
                        )
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var all: [Int: Result<Int, any Error>] = [:]
            for await (index, result) in group { all[index] = result }
            return all
        }
        // Declared after `outcomes`, so it runs before that task is awaited at the end of the scope:
        // if a wait below throws, the writer is let go and the test fails instead of hanging.
        defer { busy.release() }
        // All ten wait behind the busy writer, so they are committed as one batch.
        try await waitUntil("ten callers wait for the writer") { store.commits.waiting == 10 }
        busy.release()
        let results = await outcomes
        for index in 0..<10 {
            switch results[index] {
            case .success(let value): #expect(index != 4 && value == index)
            case .failure(let error): #expect(index == 4 && error is Refused)
            case nil: Issue.record("no result for \(index)")
            }
        }
        let keys = try await store.pool.read { try String.fetchAll($0, sql: "SELECT key FROM dedupe ORDER BY key") }
        #expect(keys == (0..<10).filter { $0 != 4 }.map { "k\($0)" })
    }
}
