import Foundation
import GRDB
import TestSupport
import Testing

@testable import Delivery

@Suite("Store health")
struct StoreHealthTests {
    static let t0 = ContinuousClock.now

    @Test(
        "a probe runs only when nothing committed for a while, or the last commit failed",
        arguments: [
            (StoreCondition.unopened(problem: "no such directory"), 0, true),
            (.open(.none), 0, true),
            (.open(.failed(at: t0, problem: "disk full")), 0, true),
            (.open(.committed(at: t0)), 0, false),
            (.open(.committed(at: t0)), 4, false),
            (.open(.committed(at: t0)), 5, true),
            (.open(.committed(at: t0)), 60, true),
        ]
    )
    func probeDue(condition: StoreCondition, secondsLater: Int, due: Bool) {
        #expect(StoreHealth.probeDue(condition, now: Self.t0 + .seconds(secondsLater), idleProbe: .seconds(5)) == due)
    }

    @Test(
        "readiness from the latest commit, the free space and the time",
        arguments: [
            (StoreCondition.unopened(problem: "cannot open the store"), nil, 0, false, "cannot open the store"),
            (.open(.none), nil, 0, true, nil),
            (.open(.none), "the disk is almost full", 0, false, "the disk is almost full"),
            (.open(.committed(at: t0)), nil, 29, true, nil),
            (.open(.committed(at: t0)), "the disk is almost full", 1, false, "the disk is almost full"),
            (.open(.committed(at: t0)), nil, 30, false, "no commit has landed for 30 s: the store's writer is stuck"),
            (
                .open(.failed(at: t0, problem: "database or disk is full")), nil, 3, false,
                "the last commit failed 3 s ago: database or disk is full"
            ),
        ] as [(StoreCondition, String?, Int, Bool, String?)]
    )
    func assess(condition: StoreCondition, lowDisk: String?, secondsLater: Int, ok: Bool, problem: String?) {
        let reading = StoreHealth.assess(condition, lowDisk: lowDisk, now: Self.t0 + .seconds(secondsLater), stuckAfter: .seconds(30))
        #expect(reading.ok == ok)
        #expect(reading.problem == problem)
    }

    @Test(
        "which errors say the store cannot commit",
        arguments: [
            (DatabaseError(resultCode: .SQLITE_FULL) as any Error, true),
            (DatabaseError(resultCode: .SQLITE_IOERR_WRITE), true),
            (DatabaseError(resultCode: .SQLITE_READONLY), true),
            (DatabaseError(resultCode: .SQLITE_BUSY), true),
            (DatabaseError(resultCode: .SQLITE_CORRUPT), true),
            (DatabaseError(resultCode: .SQLITE_CONSTRAINT), false),
            (DatabaseError(resultCode: .SQLITE_ERROR), false),
            (StoreError("no such dead letter"), false),
        ]
    )
    func storageFailure(error: any Error, storage: Bool) {
        #expect(CommitOutcome.isStorageFailure(error) == storage)
    }

    @Test("a batch's outcome: a storage failure wins, a success commits, callers' own errors tell nothing")
    func batchOutcome() {
        let full: Result<any Sendable, any Error> = .failure(DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full"))
        let refused: Result<any Sendable, any Error> = .failure(StoreError("refused"))
        let done: Result<any Sendable, any Error> = .success(1)
        let at = Self.t0 + .seconds(1)
        let earlier = CommitOutcome.committed(at: Self.t0)
        #expect(earlier.after([done], at: at) == .committed(at: at))
        #expect(earlier.after([done, refused], at: at) == .committed(at: at))
        #expect(earlier.after([refused], at: at) == earlier)
        #expect(CommitOutcome.none.after([refused], at: at) == .none)
        guard case .failed(at, let problem) = earlier.after([done, full], at: at) else {
            Issue.record("a full disk is a failure")
            return
        }
        #expect(problem.contains("database or disk is full"))
    }

    /// `PRAGMA data_version` on `queue`'s connection (it moves when another connection commits), and the
    /// WAL's length (it grows with any write).
    func writes(_ queue: DatabaseQueue) throws -> (version: Int, wal: Int64) {
        let version = try queue.read { try Int.fetchOne($0, sql: "PRAGMA data_version") ?? 0 }
        let wal = (try FileManager.default.attributesOfItem(atPath: queue.path + "-wal")[.size] as? Int64) ?? 0
        return (version, wal)
    }

    @Test("reading readiness writes nothing, however often it is read")
    func readingDoesNotWrite() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file(SQLiteStore.fileName)
        let store = try SQLiteStore(directory: dir.path)
        _ = try await store.enqueue([NewJob(destination: "novu", orderingKey: "u", kind: "trigger", payload: Data())])
        let resilient = ResilientStore { try SQLiteStore(path: path) }
        _ = try await resilient.current()
        let healths = [
            StoreHealth(store: store, logger: quietLogger()), StoreHealth(store: resilient, logger: quietLogger()),
        ]
        let queue = try DatabaseQueue(path: path)
        let before = try writes(queue)
        for _ in 0..<1000 {
            for health in healths { #expect(health.current.ok) }
        }
        #expect(try writes(queue) == before)
        // The check that it would see one: a single probe moves both.
        try await store.probe()
        let after = try writes(queue)
        #expect(after.version != before.version)
        #expect(after.wal > before.wal)
    }

    @Test("a store that cannot be opened is not ready, with the open error as the problem")
    func unopened() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let blocker = dir.file("not-a-directory")
        _ = FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        let store = ResilientStore { try SQLiteStore(directory: (blocker as NSString).appendingPathComponent("data")) }
        let health = StoreHealth(store: store, logger: quietLogger())
        #expect(health.current.ok == false)
        #expect(health.current.problem == "the store is not open yet")
        await #expect(throws: StoreError.self) { try await store.current() }
        #expect(health.current.ok == false)
        #expect(health.current.problem?.contains("cannot create the data directory") == true)
    }

    @Test("a commit the full disk refuses makes the store not ready; once space is back a probe makes it ready")
    func fullDiskAndRecovery() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let health = StoreHealth(store: store, logger: quietLogger())
        await health.check()  // nothing committed yet: probes
        guard case .committed = store.lastCommit else {
            Issue.record("the probe committed: \(store.lastCommit)")
            return
        }
        let pages = try await store.filePages()
        try await store.limitPages(pages)
        let big = Data(count: 64 * 1024)
        await #expect(throws: (any Error).self) {
            try await store.enqueue([NewJob(destination: "novu", orderingKey: "u", kind: "trigger", payload: big)])
        }
        #expect(health.current.ok == false)
        #expect(health.current.problem?.contains("full") == true, "\(health.current)")
        try await store.limitPages(1_000_000)
        await health.check()  // the last commit failed: probes at once
        #expect(health.current.ok, "\(health.current)")
        // Idle but recently committed: no probe, no write.
        let queue = try DatabaseQueue(path: dir.file(SQLiteStore.fileName))
        let before = try writes(queue)
        await health.check()
        #expect(try writes(queue) == before)
    }
}
