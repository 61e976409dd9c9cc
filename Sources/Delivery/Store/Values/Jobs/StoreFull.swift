/// Ingest refused because the store holds more than `BRIDGE_MAX_STORE_BYTES`; the route answers `503`
/// `StoreFull`, so the sender retries. Thrown before the store is touched.
package struct StoreFull: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the store held when it was last measured.
    package var usedBytes: Int64
    /// `BRIDGE_MAX_STORE_BYTES`.
    package var limit: Int64
    /// Ingest resumes once the store holds less than this (see `StoreCapacity.isFull`).
    package var resumeBelow: Int64

    package init(usedBytes: Int64, limit: Int64, resumeBelow: Int64) {
        self.usedBytes = usedBytes
        self.limit = limit
        self.resumeBelow = resumeBelow
    }

    package var description: String {
        let position = usedBytes >= limit ? "above" : "just below, after being above,"
        return "store holds \(usedBytes) bytes, \(position) BRIDGE_MAX_STORE_BYTES=\(limit); ingest resumes below "
            + "\(resumeBelow) bytes, as delivery and pruning free space (or raise the limit)"
    }
}
