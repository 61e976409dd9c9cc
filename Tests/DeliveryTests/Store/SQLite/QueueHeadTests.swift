import Foundation
import GRDB
import GRDBSQLite
import TestSupport
import Testing

@testable import Delivery

/// Each user's oldest pending job is its head; only heads are claimed (DESIGN §5, ordering).
@Suite("Queue heads")
struct QueueHeadTests {
    func job(_ user: String, _ tag: String) -> NewJob {
        NewJob(destination: "novu", orderingKey: user, kind: "trigger", payload: Data(tag.utf8))
    }

    var later: Date { Date().addingTimeInterval(1) }

    @Test("a replayed dead letter is older than its user's queue, so it goes first")
    func replayGoesFirst() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        _ = try await store.enqueue([job("a", "first")])
        let first = try #require(try await store.claim(destination: "novu", limit: 10, now: later).first)
        try await store.settle([Settlement(jobId: first.id, outcome: .deadLetter(reason: "HTTP 422"))])
        _ = try await store.enqueue([job("a", "second"), job("a", "third")])
        #expect(try await store.replayDeadLetters(DeadLetterFilter(ids: [first.id])) == 1)
        var sent: [String] = []
        while let next = try await store.claim(destination: "novu", limit: 10, now: later).first {
            #expect(try await store.claim(destination: "novu", limit: 10, now: later).isEmpty)  // one at a time
            sent.append(String(decoding: next.payload, as: UTF8.self))
            try await store.settle([Settlement(jobId: next.id, outcome: .delivered)])
        }
        #expect(sent == ["first", "second", "third"])
    }

    /// User `a`: "first" dead-lettered, then "second" (claimed: in flight) and "third" queued, then
    /// "first" replayed. Returns the ids of first and second.
    func replayWhileClaimed(_ store: SQLiteStore) async throws -> (first: Int64, second: Int64) {
        _ = try await store.enqueue([job("a", "first")])
        let first = try #require(try await store.claim(destination: "novu", limit: 10, now: later).first)
        try await store.settle([Settlement(jobId: first.id, outcome: .deadLetter(reason: "HTTP 422"))])
        _ = try await store.enqueue([job("a", "second"), job("a", "third")])
        let second = try #require(try await store.claim(destination: "novu", limit: 10, now: later).first)
        #expect(String(decoding: second.payload, as: UTF8.self) == "second")
        #expect(try await store.replayDeadLetters(DeadLetterFilter(ids: [first.id])) == 1)
        return (first.id, second.id)
    }

    /// Claims and delivers the user's jobs one at a time, checking no second one is claimable meanwhile.
    func sendAll(_ store: SQLiteStore) async throws -> [String] {
        var sent: [String] = []
        while let next = try await store.claim(destination: "novu", limit: 10, now: later).first {
            #expect(try await store.claim(destination: "novu", limit: 10, now: later).isEmpty)
            sent.append(String(decoding: next.payload, as: UTF8.self))
            try await store.settle([Settlement(jobId: next.id, outcome: .delivered)])
        }
        return sent
    }

    @Test("a job replayed while its user's head is in flight waits for that head, then goes next")
    func replayWhileHeadInFlight() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let ids = try await replayWhileClaimed(store)
        // The replay used to move the mark to "first" at once: a second job of the user out beside "second".
        #expect(try await store.claim(destination: "novu", limit: 10, now: later).isEmpty)
        try await store.settle([Settlement(jobId: ids.second, outcome: .delivered)])
        #expect(try await sendAll(store) == ["first", "third"])
    }

    @Test("when the head in flight goes back to the queue (retry, release), the older replayed job goes first")
    func replayedJobTakesOverFromRequeuedHead() async throws {
        for outcome in [Settlement.Outcome.retry(at: Date()), .release] {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let store = try SQLiteStore(directory: dir.path)
            let ids = try await replayWhileClaimed(store)
            try await store.settle([Settlement(jobId: ids.second, outcome: outcome)])
            #expect(try await sendAll(store) == ["first", "second", "third"], "after \(outcome)")
        }
    }

    @Test("a replay while the head's claim belongs to a process that died: released at start, the replayed job goes first")
    func replayedJobTakesOverFromReleasedClaim() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        _ = try await replayWhileClaimed(store)
        // The next start releases every claim of the previous run.
        #expect(try await store.releaseAllClaims() == 1)
        #expect(try await sendAll(store) == ["first", "second", "third"])
    }

    @Test("a store written before heads were marked gets them on opening, and claims stay in order")
    func migration() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file(SQLiteStore.fileName)
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteStore.migrator.migrate(queue, upTo: "v1")
            try await queue.write { db in
                for (user, tag) in [("a", "a1"), ("b", "b1"), ("a", "a2"), ("b", "b2")] {
                    try db.execute(
                        sql: """
                            INSERT INTO job(destination, ordering_key, kind, payload, state, next_attempt_at, created_at)
                            VALUES ('novu', ?, 'trigger', ?, 'pending', 0, 0)
                            """,
                        arguments: [user, Data(tag.utf8)]
                    )
                }
            }
        }
        let store = try SQLiteStore(path: path)
        let heads = try await store.claim(destination: "novu", limit: 10, now: later)
        #expect(heads.map { String(decoding: $0.payload, as: UTF8.self) } == ["a1", "b1"])
        try await store.settle(heads.map { Settlement(jobId: $0.id, outcome: .delivered) })
        let next = try await store.claim(destination: "novu", limit: 10, now: later)
        #expect(next.map { String(decoding: $0.payload, as: UTF8.self) } == ["a2", "b2"])
    }

    @Test("a claim round steps over no job waiting behind a head in flight")
    func claimReadsHeadsOnly() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        _ = try await store.enqueue((0..<3000).map { job("u\($0 % 3)", "\($0)") })
        #expect(try await store.claim(destination: "novu", limit: 10, now: later).count == 3)
        // Every head is in flight. SQLite counts the virtual-machine steps of the store's own claim
        // statement: reset the count, claim again, read it.
        func claimSteps(reset: Bool) async throws -> Int32 {
            try await store.pool.writeWithoutTransaction { db in
                var statement = sqlite3_next_stmt(db.sqliteConnection, nil)
                while let current = statement {
                    if String(cString: sqlite3_sql(current)).contains("UPDATE job SET claimed_by = ?") {
                        return sqlite3_stmt_status(current, SQLITE_STMTSTATUS_VM_STEP, reset ? 1 : 0)
                    }
                    statement = sqlite3_next_stmt(db.sqliteConnection, current)
                }
                Issue.record("the claim statement is not among the writer's prepared statements")
                return -1
            }
        }
        _ = try await claimSteps(reset: true)
        #expect(try await store.claim(destination: "novu", limit: 10, now: later).isEmpty)
        let steps = try await claimSteps(reset: false)
        // Stepping over the 2,997 waiting jobs would take several steps each.
        #expect(steps >= 0 && steps < 200)
    }
}
