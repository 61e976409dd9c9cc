import GRDB

extension SQLiteStore {
    /// The bytes the store holds, as `BRIDGE_MAX_STORE_BYTES` counts them: the database's pages in use
    /// (its pages less its free list, as of the latest commit, WAL included) times the page size.
    ///
    /// Free pages are left out on purpose. SQLite does not shrink the file when rows are deleted; it keeps
    /// the freed pages and reuses them before growing the file. Counting the file's length would keep a
    /// store that once reached the cap full forever, however much delivery and pruning freed; counting the
    /// pages in use lets ingest resume as they free space, and the file grows past its peak only once the
    /// free pages are used up.
    ///
    /// The WAL file's length is left out too: it holds copies of pages already counted, is bounded (a
    /// checkpoint every 4000 pages, 64 MiB at 16 KiB pages, after which the file is reused, not shrunk),
    /// and grows with deliveries and pruning as much as with ingest, so counting it would hold ingest off
    /// while settlements free space. The disk needs that much beside the cap.
    ///
    /// Cheap: three pragmas that read the database header on a reader connection; no write.
    package func storeBytes() async throws -> Int64 {
        try await pool.read { db in
            let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let free = try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            return (pages - free) * pageSize
        }
    }
}
