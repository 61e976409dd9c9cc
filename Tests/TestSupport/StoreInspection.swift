import Delivery
import PostgresStore

/// What a test reads of a store beyond its protocols: one job's fate, and what is queued. Both stores
/// have these views; this lets a test read them from whichever store it runs against.
package protocol StoreInspection: Sendable {
    /// One job's state (`pending`, `delivered`, `dry_run`, `dead`), reason and counted attempts.
    func jobState(id: Int64) async throws -> (state: String, reason: String?, attempts: Int)?
    /// Jobs of `destination` not yet delivered or dead-lettered.
    func pendingCount(destination: String) async throws -> Int
    /// Jobs of `destination` claimed and not yet settled.
    func claimedCount(destination: String) async throws -> Int
    /// The dedupe keys remembered, bindings as `key=value`, in order.
    func dedupeKeys() async throws -> [String]
}

extension SQLiteStore: StoreInspection {}
extension InMemoryStore: StoreInspection {}
extension PostgresStore: StoreInspection {}
