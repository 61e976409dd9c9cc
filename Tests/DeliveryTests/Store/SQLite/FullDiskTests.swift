import Foundation
import GRDB
import Logging
import Synchronization
import TestSupport
import Testing

@testable import Delivery

/// A disk that fills while the bridge serves: no acknowledged event lost, none half-written, the store
/// intact, and everything working again once there is room, without a restart.
///
/// Where the test may mount (root, as in CI's container) the store lives on a small tmpfs, so SQLite
/// meets a real `ENOSPC` (its WAL cannot grow); elsewhere the writer's `max_page_count` makes SQLite
/// answer `SQLITE_FULL` the same way.
@Suite("A full disk", .serialized)
struct FullDiskTests {
    /// A small filesystem for the store, or a page cap on the store when mounting is not allowed.
    final class SmallDisk: Sendable {
        let directory: TemporaryDirectory
        let mounted: Bool

        /// With `mount` false, or where mounting is not allowed, the store gets a page cap instead.
        init(bytes: Int, mount: Bool = true) throws {
            directory = try TemporaryDirectory()
            mounted = mount && Self.mount(["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", directory.path])
        }

        var path: String { directory.file(SQLiteStore.fileName) }

        /// Caps the store near its size: on tmpfs the mount's size is the cap already, else `max_page_count`
        /// allows `pages` more pages.
        func cap(_ store: SQLiteStore, pages: Int) async throws {
            if !mounted { try await store.limitPages(try await store.filePages() + pages) }
        }

        /// Fills the disk at once: on tmpfs by a file that takes what is left, else by capping the store at
        /// its size.
        func fill(_ store: SQLiteStore) async throws {
            if mounted {
                let ballast = directory.file("ballast")
                _ = FileManager.default.createFile(atPath: ballast, contents: nil)
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: ballast))
                defer { try? handle.close() }
                let chunk = Data(count: 4096)
                while (try? handle.write(contentsOf: chunk)) != nil {}
            } else {
                try await store.limitPages(try await store.filePages())
            }
        }

        /// Makes room again.
        func makeRoom(_ store: SQLiteStore) async throws {
            if mounted {
                #expect(Self.mount(["-o", "remount,size=256m", directory.path]))
            } else {
                try await store.limitPages(1_000_000)
            }
        }

        func remove() {
            if mounted { _ = Self.run("/bin/umount", ["-l", directory.path]) }
            directory.remove()
        }

        private static func mount(_ arguments: [String]) -> Bool { run("/bin/mount", arguments) }

        private static func run(_ tool: String, _ arguments: [String]) -> Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
    }

    func job(_ index: Int) -> NewJob {
        NewJob(
            destination: "novu",
            orderingKey: "u\(index % 7)",
            kind: "trigger",
            payload: Data("payload-\(index)-".utf8 + Data(repeating: UInt8(index % 251), count: 1500)),
            dedupeKeys: ["segment:\(index)"]
        )
    }

    /// On tmpfs the commit fails (the WAL cannot grow); under a page cap the statement does, and SQLite
    /// rolls the whole transaction back, which the group commit must not mistake for one caller's error.
    @Test(
        "enqueues racing a filling disk: each either committed for good or threw, and room brings ingest back",
        arguments: [true, false]
    )
    func concurrentEnqueuesOnAFillingDisk(tmpfs: Bool) async throws {
        let disk = try SmallDisk(bytes: 2 * 1024 * 1024, mount: tmpfs)
        defer { disk.remove() }
        let store = try SQLiteStore(path: disk.path)
        _ = try await store.enqueue((0..<20).map { job($0) })
        try await disk.cap(store, pages: 40)

        // 32 callers, 640 events of ~1.5 KB in all, sharing group commits; the disk fills part way.
        let accepted = Locked<[Int: Int64]>([:])
        let failed = Locked<[Int: String]>([:])
        await withTaskGroup(of: Void.self) { group in
            for caller in 0..<32 {
                group.addTask {
                    for round in 0..<20 {
                        let index = 1000 + caller * 100 + round
                        do {
                            let result = try await store.enqueue([self.job(index)])
                            guard case .accepted(let id) = result.first else {
                                Issue.record("event \(index) was taken for a duplicate: \(result)")
                                continue
                            }
                            accepted.withLock { $0[index] = id }
                        } catch {
                            #expect(CommitOutcome.isStorageFailure(error), "\(error)")
                            failed.withLock { $0[index] = "\(error)" }
                        }
                    }
                }
            }
        }
        #expect(!accepted.value.isEmpty)
        #expect(!failed.value.isEmpty, "the disk never filled (tmpfs: \(disk.mounted))")
        // Readiness sees it: once the disk is quite full, the next commit fails and the store says why.
        try await disk.fill(store)
        let large = NewJob(destination: "novu", orderingKey: "u", kind: "trigger", payload: Data(count: 256 * 1024))
        await #expect(throws: (any Error).self) { try await store.enqueue([large]) }
        guard case .failed(_, let problem) = store.lastCommit, problem.contains("full") else {
            Issue.record("readiness did not see the full disk: \(store.lastCommit)")
            return
        }

        // Room again, same store, no restart: each refused event, sent again, is queued (not a duplicate:
        // nothing of it was kept), and so is a new one.
        try await disk.makeRoom(store)
        var retried: [Int: Int64] = [:]
        for index in failed.value.keys.sorted() + [9999] {
            guard case .accepted(let id) = try await store.enqueue([job(index)]).first else {
                Issue.record("event \(index) was refused again or taken for a duplicate")
                continue
            }
            retried[index] = id
        }
        try store.close()

        let reopened = try SQLiteStore(path: disk.path)
        defer { try? reopened.close() }
        let queue = try DatabaseQueue(path: disk.path)
        defer { try? queue.close() }
        let (integrity, rows) = try queue.read { db in
            (
                try String.fetchAll(db, sql: "PRAGMA integrity_check"),
                try Row.fetchAll(db, sql: "SELECT id, payload FROM job")
            )
        }
        #expect(integrity == ["ok"])
        let payloads = Dictionary(uniqueKeysWithValues: rows.map { ($0["id"] as Int64, $0["payload"] as Data) })
        let expected = accepted.value.merging(retried) { first, _ in first }
        // Every event that was acknowledged is there, byte for byte, and nothing else but the first 20.
        #expect(payloads.count == 20 + expected.count)
        for (index, id) in expected { #expect(payloads[id] == job(index).payload, "event \(index), job \(id)") }
        #expect(try await reopened.dedupeKeys().count == 20 + expected.count)
        #expect(try await reopened.pendingCount(destination: "novu") == 20 + expected.count)
    }

    /// Delivers everything, one job per request; fills the disk during its first delivery.
    final class FillingDestination: DeliveryDestination {
        let name = "recording"
        let delivered = Mutex<[Int64]>([])
        let fill: @Sendable () async throws -> Void
        let filled = Mutex(false)

        init(fill: @escaping @Sendable () async throws -> Void) { self.fill = fill }

        func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]] { jobs.map { [$0] } }
        func plan(_ jobs: [ClaimedJob], gathering: Bool) -> (requests: [[ClaimedJob]], waiting: [ClaimedJob]) {
            (plan(jobs), [])
        }
        func deliver(_ jobs: [ClaimedJob]) async -> [AttemptResult] {
            let first = filled.withLock { filled in
                defer { filled = true }
                return !filled
            }
            if first { try? await fill() }
            delivered.withLock { $0 += jobs.map(\.id) }
            return jobs.map { _ in AttemptResult(.delivered(), reason: "delivered") }
        }
    }

    @Test("settlements a full disk refuses land once there is room: every job delivered once, in order")
    func settlementsOnAFullDisk() async throws {
        let disk = try SmallDisk(bytes: 4 * 1024 * 1024)
        defer { disk.remove() }
        let sqlite = try SQLiteStore(path: disk.path)
        let ids = try await sqlite.enqueue(
            (0..<10).map { NewJob(destination: "recording", orderingKey: "user-\($0 % 2)", kind: "k", payload: Data("\($0)".utf8)) }
        )
        .map { result -> Int64 in
            guard case .accepted(let id) = result else { return -1 }
            return id
        }
        let destination = FillingDestination { try await disk.fill(sqlite) }
        let recorder = RecordingLogHandler.Recorder()
        let relay = Relay(store: sqlite, destinations: [destination], logger: recorder.logger())
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        relay.wake("recording")
        if disk.mounted {
            try await waitUntil("a settlement is refused by the full disk") {
                recorder.logged.contains { $0.message == "settle failed; trying again" }
            }
            #expect(try await sqlite.claimedCount(destination: "recording") > 0)
        }
        try await disk.makeRoom(sqlite)
        try await waitUntil("every job is delivered and settled") {
            try await sqlite.pendingCount(destination: "recording") == 0
        }
        let delivered = destination.delivered.withLock { $0 }
        #expect(delivered.count == ids.count)  // each once
        for user in 0..<2 {
            let mine = ids.enumerated().filter { $0.offset % 2 == user }.map(\.element)
            #expect(delivered.filter(mine.contains) == mine)  // in order per user
        }
        for id in ids { #expect(try await sqlite.jobState(id: id)?.state == "delivered") }
        running.cancel()
        _ = try? await running.value
        try sqlite.close()
    }
}
