import Foundation
import GRDB
import TestSupport
import Testing

@testable import Delivery

@Suite("SQLite store")
struct SQLiteStoreTests {
    func job(_ user: String, key: String? = nil, destination: String = "novu") -> NewJob {
        NewJob(
            destination: destination,
            orderingKey: user,
            kind: "trigger",
            payload: Data("{\"user\":\"\(user)\"}".utf8),
            dedupeKeys: key.map { [$0] } ?? []
        )
    }

    @Test("the database runs in WAL mode with synchronous=FULL")
    func durabilitySettings() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try SQLiteStore(directory: dir.path)
        let pool = try DatabasePool(path: dir.file(SQLiteStore.fileName))
        let mode = try await pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        // The store's own connections set synchronous on open; check through one of them.
        let store = try SQLiteStore(directory: dir.path)
        #expect(try await store.synchronousMode() == 2)  // 2 = FULL
    }

    @Test("the writer connection caches 32 MiB of pages; readers keep SQLite's default")
    func writerCache() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        #expect(try await store.writerCacheSize() == -32768)
        // Through the store's own reader pool: its connections are the ones that must keep the default.
        #expect(try await store.pool.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -2000)
    }

    @Test("the writer checkpoints the WAL every 4000 pages (64 MiB), not SQLite's default 1000")
    func checkpointThreshold() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        #expect(try await store.writerCheckpointPages() == 4000)
    }

    @Test("opened without migrating (the CLI), a store of another schema is refused and left as it was")
    func openWithoutMigrating() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        func applied(_ path: String) throws -> [String] {
            try DatabaseQueue(path: path).read { try SQLiteStore.migrator.appliedIdentifiers($0) }.sorted()
        }
        let older = dir.file("older.sqlite")
        try SQLiteStore.migrator.migrate(DatabaseQueue(path: older), upTo: "v1")
        #expect(throws: StoreError.self) { try SQLiteStore(path: older, migrate: false) }
        #expect(try applied(older) == ["v1"])
        #expect(throws: Never.self) { try SQLiteStore(path: older) }
        #expect(try applied(older) == ["v1", "v2", "v3-correlation-context", "v3-follow", "v4-funnel"])
        #expect(throws: Never.self) { try SQLiteStore(path: older, migrate: false) }

        let newer = dir.file("newer.sqlite")
        var future = SQLiteStore.migrator
        future.registerMigration("v99") { db in try db.execute(sql: "CREATE TABLE later(x)") }
        try future.migrate(DatabaseQueue(path: newer))
        do {
            _ = try SQLiteStore(path: newer, migrate: false)
            Issue.record("a store of a newer schema was opened")
        } catch let error as StoreError {
            #expect("\(error)".contains("newer bridge"))
        }
    }

    @Test("a new store uses 16 KiB pages; a store made with 4 KiB pages keeps them and its jobs")
    func pageSize() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try SQLiteStore(directory: dir.path)
        func pageSize(_ path: String) throws -> Int? {
            try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "PRAGMA page_size") }
        }
        #expect(try pageSize(dir.file(SQLiteStore.fileName)) == 16384)

        let old = dir.file("old.sqlite")
        do {
            let queue = try DatabaseQueue(path: old)
            try await queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL")
            }
            try SQLiteStore.migrator.migrate(queue)
        }
        let store = try SQLiteStore(path: old)
        _ = try await store.enqueue([job("a")])
        #expect(try await store.claim(destination: "novu", limit: 10, now: Date().addingTimeInterval(1)).count == 1)
        #expect(try pageSize(old) == 4096)
    }

    @Test("a dedupe key already committed makes the job a duplicate")
    func dedupe() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let first = try await store.enqueue([job("u1", key: "m1"), job("u1", key: "m1"), job("u2", key: "m2")])
        #expect(first[0] != .duplicate)
        #expect(first[1] == .duplicate)
        #expect(first[2] != .duplicate)
        // Across a reopen, too.
        let reopened = try SQLiteStore(directory: dir.path)
        #expect(try await reopened.enqueue([job("u1", key: "m1")]) == [.duplicate])
    }

    @Test("a job whose transaction is already correlated is a duplicate; the first cause stays")
    func correlationIdentifiesJob() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        func correlated(_ transaction: String, event: String) -> NewJob {
            var job = job("u1")
            job.correlation = Correlation(transactionId: transaction, eventName: event, messageId: "m", userId: "u1", workflow: "w")
            return job
        }
        let first = try await store.enqueue([correlated("tx-1", event: "First"), correlated("tx-1", event: "Second")])
        #expect(first[0] != .duplicate)
        #expect(first[1] == .duplicate)
        #expect(try await store.enqueue([correlated("tx-2", event: "Other")])[0] != .duplicate)
        #expect(try await store.pendingCount(destination: "novu") == 2)
        #expect(try await store.correlation(transactionId: "tx-1")?.eventName == "First")
        // Across a reopen, too.
        let reopened = try SQLiteStore(directory: dir.path)
        #expect(try await reopened.enqueue([correlated("tx-2", event: "Again")]) == [.duplicate])
    }

    @Test("what is enqueued is what a claim reads back: empty and non-ASCII text, empty and binary bytes")
    func fidelity() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let jobs = [
            NewJob(destination: "novu", orderingKey: nil, kind: "trigger", payload: Data()),
            NewJob(
                destination: "novu",
                orderingKey: "Zoë 🚀 “quoted”",
                kind: "subscriber.upsert",
                payload: Data([0, 1, 0xFF, 0x0A, 0]),
                event: Data("{}".utf8),
                correlation: Correlation(
                    transactionId: "seg-1",
                    eventName: "Ünïcode",
                    messageId: "m-1",
                    userId: "Zoë",
                    workflow: "wf"
                )
            ),
        ]
        let results = try await store.enqueue(jobs)
        #expect(results.allSatisfy { $0 != .duplicate })
        let claimed = try await store.claim(destination: "novu", limit: 10, now: Date().addingTimeInterval(1))
        #expect(claimed.map(\.orderingKey) == [nil, "Zoë 🚀 “quoted”"])
        #expect(claimed.map(\.kind) == ["trigger", "subscriber.upsert"])
        #expect(claimed.map(\.payload) == [Data(), Data([0, 1, 0xFF, 0x0A, 0])])
        #expect(
            try await store.correlation(transactionId: "seg-1")
                == Correlation(transactionId: "seg-1", eventName: "Ünïcode", messageId: "m-1", userId: "Zoë", workflow: "wf")
        )
    }

    @Test("concurrent enqueues all commit and survive a reopen")
    func groupCommit() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let results = try await withThrowingTaskGroup(of: [EnqueueResult].self) { group in
            for index in 0..<200 {
                group.addTask { try await store.enqueue([job("u\(index % 7)", key: "k\(index)")]) }
            }
            var all: [EnqueueResult] = []
            for try await result in group { all += result }
            return all
        }
        #expect(results.count == 200)
        #expect(!results.contains(.duplicate))
        let reopened = try SQLiteStore(directory: dir.path)
        #expect(try await reopened.pendingCount(destination: "novu") == 200)
    }

    @Test("claims take only the oldest open job of each user")
    func ordering() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        _ = try await store.enqueue([job("a"), job("a"), job("b"), job("a"), job("b")])
        let now = Date().addingTimeInterval(1)
        let first = try await store.claim(destination: "novu", limit: 10, now: now)
        #expect(first.map(\.orderingKey) == ["a", "b"])
        // While a's head is in flight, a's next job waits.
        #expect(try await store.claim(destination: "novu", limit: 10, now: now).isEmpty)
        try await store.settle([Settlement(jobId: first[0].id, outcome: .delivered)])
        let second = try await store.claim(destination: "novu", limit: 10, now: now)
        #expect(second.map(\.orderingKey) == ["a"])
        #expect(second[0].id > first[0].id)
    }

    @Test("a retried head keeps its user's later jobs waiting; a dead-lettered one frees them")
    func retryKeepsOrder() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        _ = try await store.enqueue([job("a"), job("a")])
        let now = Date().addingTimeInterval(1)
        let head = try #require(try await store.claim(destination: "novu", limit: 10, now: now).first)
        let attempt = AttemptRecord(at: now, status: 500, reason: "HTTP 500", attemptKey: "k")
        try await store.settle([Settlement(jobId: head.id, outcome: .retry(at: now.addingTimeInterval(60)), attempt: attempt)])
        #expect(try await store.claim(destination: "novu", limit: 10, now: now).isEmpty)
        let retried = try #require(try await store.claim(destination: "novu", limit: 10, now: now.addingTimeInterval(61)).first)
        #expect(retried.id == head.id)
        #expect(retried.attempts == 1)
        #expect(retried.lastStatus == 500)
        #expect(retried.lastAttemptKey == "k")
        try await store.settle([Settlement(jobId: head.id, outcome: .deadLetter(reason: "HTTP 422"), attempt: attempt)])
        let next = try #require(try await store.claim(destination: "novu", limit: 10, now: now.addingTimeInterval(61)).first)
        #expect(next.id != head.id)
    }

    @Test("claims of a process that died are released at start")
    func releaseClaims() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        _ = try await store.enqueue([job("a"), job("b")])
        let now = Date().addingTimeInterval(1)
        #expect(try await store.claim(destination: "novu", limit: 10, now: now).count == 2)
        let restarted = try SQLiteStore(directory: dir.path)
        #expect(try await restarted.claim(destination: "novu", limit: 10, now: now).isEmpty)
        #expect(try await restarted.releaseAllClaims() == 2)
        #expect(try await restarted.claim(destination: "novu", limit: 10, now: now).count == 2)
    }

    @Test("destinations have separate queues")
    func destinations() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        _ = try await store.enqueue([job("a", destination: "novu"), job("a", destination: "segment")])
        let now = Date().addingTimeInterval(1)
        #expect(try await store.claim(destination: "novu", limit: 10, now: now).count == 1)
        #expect(try await store.claim(destination: "segment", limit: 10, now: now).count == 1)
    }

    @Test("a job enqueued as dead-lettered is kept but never claimed")
    func deadOnArrival() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        var dead = job("a")
        dead.deadLetterReason = "no subscriber"
        _ = try await store.enqueue([dead])
        #expect(try await store.claim(destination: "novu", limit: 10, now: Date().addingTimeInterval(1)).isEmpty)
        #expect(try await store.deadLetterCount() == 1)
    }

    @Test("correlations are recorded with their job")
    func correlation() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        var traced = job("a")
        let link = Correlation(transactionId: "seg-1", eventName: "Cart", messageId: "1", userId: "a", workflow: "wf")
        traced.correlation = link
        _ = try await store.enqueue([traced])
        #expect(try await store.correlation(transactionId: "seg-1") == link)
        #expect(try await store.correlation(transactionId: "seg-2") == nil)
    }
}
