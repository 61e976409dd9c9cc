import Foundation
import GRDB

/// The embedded store: SQLite in WAL mode with `synchronous=FULL`, so a committed job survives
/// `kill -9` and power loss. Writes go through a group commit.
package final class SQLiteStore: DeliveryQueue, CorrelationLookup, StoreMaintenance {
    /// The file name inside the data directory.
    package static let fileName = "bridge.sqlite"

    /// The page size of a new store.
    static let pageSize = 16384

    /// The writer connection's page cache, in KiB.
    static let writerCacheKiB = 32768

    /// WAL pages after which a commit copies the WAL back into the database file (SQLite's default: 1000).
    static let walCheckpointPages = 4000

    let pool: DatabasePool
    let commits: GroupCommit
    /// Marks this process's claims; claims with another owner belong to a process that died.
    let owner: String

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    ///
    /// With `migrate: false` (the CLI, which may run beside a `serve` of another version) the schema is
    /// never changed: a store this version's schema does not match exactly is refused. A newer `bridge dlq`
    /// would otherwise change the tables under an older running serve.
    package init(path: String, migrate: Bool = true) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Takes effect only while the file is still empty (before WAL mode is on); an existing
            // store keeps its page size. Each event dirties a few random index pages, and SQLite pays
            // per WAL frame (a write, a checksum, a wal-index entry) more than per byte: 16 KiB pages
            // carried batches of 100 events ~25% faster than the default 4 KiB (make bench), with no
            // change for single events.
            try db.execute(sql: "PRAGMA page_size = \(Self.pageSize)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB turns WAL on with synchronous=NORMAL, which can lose the last commits on power loss.
            // An acknowledged event must survive that, so the writer connection runs with FULL.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                // Each event's correlation lands on a random leaf of its index, which SQLite's default
                // 2 MB cache no longer holds once the index outgrows it: every insert then reads its leaf
                // back. Only the one writer connection gets the larger cache (make bench-store).
                try db.execute(sql: "PRAGMA cache_size = -\(Self.writerCacheKiB)")
                // A checkpoint runs inside the commit that crosses the threshold and writes each page the
                // WAL holds once, however often it changed there. The same hot index pages change in every
                // commit, so a longer WAL (64 MiB at 16 KiB pages) copies fewer pages per event: 6–8% less
                // CPU per event for single events, batches and relay rounds alike (make bench-store, in
                // alternating runs). A commit still flushes the WAL before it returns.
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.walCheckpointPages)")
            }
            if migrate { try Self.migrator.migrate(pool) }
        } catch {
            throw StoreError("cannot open the store at \(path): \(error)")
        }
        if !migrate { try Self.checkSchema(pool, path: path) }
        commits = GroupCommit(writer: pool)
        owner = UUID().uuidString
    }

    /// Throws unless the store's schema is exactly the one this version writes.
    private static func checkSchema(_ pool: DatabasePool, path: String) throws {
        let (complete, newer) = try pool.read { db in
            (try migrator.hasCompletedMigrations(db), try migrator.hasBeenSuperseded(db))
        }
        if newer {
            throw StoreError(
                "the store at \(path) was upgraded by a newer bridge: use that version's bridge to read it"
            )
        }
        if !complete {
            throw StoreError(
                "the store at \(path) has an older schema: start this version's bridge serve on it once (it upgrades "
                    + "the store), or use the bridge version that serves it"
            )
        }
    }

    /// Opens the store in `directory`, creating the directory if needed.
    package convenience init(directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError("cannot create the data directory \(directory): \(error.localizedDescription)")
        }
        try self.init(path: (directory as NSString).appendingPathComponent(Self.fileName))
    }

    package func recordDestinationState(name: String, held: Bool, reason: String?) async throws {
        let now = Date().timeIntervalSince1970
        try await commits.write(durable: false) { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO destination_state(name, held, reason, updated_at) VALUES (?, ?, ?, ?)",
                arguments: [name, held, reason, now]
            )
        }
    }

    /// Below this much free space in the data directory the store reports itself not ready: SQLite
    /// fails a commit only once the disk is full, and an operator wants the warning before that.
    package static let minimumFreeBytes: Int64 = 8 * 1024 * 1024

    /// Why the disk holding the store is about to fill (below `minimumFreeBytes` free), or `nil`. One
    /// `statfs`; writes nothing.
    package func lowDiskProblem() -> String? {
        let directory = (pool.path as NSString).deletingLastPathComponent
        guard let free = (try? FileManager.default.attributesOfFileSystem(forPath: directory))?[.systemFreeSize] as? Int64,
            free < Self.minimumFreeBytes
        else { return nil }
        return "the disk holding \(directory) is almost full (\(free / 1024) KiB free)"
    }

    /// Commits one small write, so the write path records whether the store can commit. The free space
    /// is `lowDiskProblem()`'s to tell: `StoreHealth` checks it every second, without a write.
    package func probe() async throws {
        try await commits.write(durable: false) { db in
            try db.execute(
                sql: """
                    INSERT INTO dedupe(key, created_at) VALUES ('bridge:probe', 0)
                    ON CONFLICT(key) DO UPDATE SET created_at = excluded.created_at
                    """
            )
        }
    }

    /// What the latest commit told about the disk; reads no disk.
    package var lastCommit: CommitOutcome { commits.lastOutcome }

    /// Closes the store's connections; every later call fails. For tests that reopen a store from its files.
    package func close() throws {
        try pool.close()
    }

    /// Caps the database at `pages` pages (`PRAGMA max_page_count` on the writer), so a test can make
    /// SQLite run out of space as on a full disk (`SQLITE_FULL`) and raise the cap again. For tests only.
    @discardableResult
    package func limitPages(_ pages: Int) async throws -> Int {
        try await pool.writeWithoutTransaction { db in
            try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(pages)") ?? 0
        }
    }
}
