import Delivery
import Foundation
import PostgresStore
import TestSupport
import Testing

/// A store the conformance suite runs against. Adding a store to the suite is adding a line to
/// `allCases` (and declaring its `StoreInspection` views, in TestSupport, if it has them already).
struct StoreKind: Sendable, CustomTestStringConvertible {
    /// What the suite asks of a store: the queue, its maintenance, and views to read a job's fate.
    typealias Store = any DeliveryQueue & CorrelationLookup & StoreMaintenance & StoreInspection

    let name: String
    /// Opens a fresh, empty store; `directory` is the test's own, removed after it.
    let open: @Sendable (_ directory: TemporaryDirectory) async throws -> Store
    /// Removes what `open` made outside the directory.
    var close: @Sendable (Store) async -> Void = { _ in }

    init(
        name: String,
        open: @escaping @Sendable (TemporaryDirectory) async throws -> Store,
        close: @escaping @Sendable (Store) async -> Void = { _ in }
    ) {
        self.name = name
        self.open = open
        self.close = close
    }

    static let allCases: [StoreKind] =
        [
            StoreKind(name: "SQLite") { try SQLiteStore(directory: $0.path) },
            StoreKind(name: "in-memory") { _ in InMemoryStore() },
        ] + (TestPostgres.enabled ? [postgres] : [])

    /// A database of its own on the test server (`BRIDGE_TEST_DATABASE_URL`), dropped after the test.
    static let postgres = StoreKind(
        name: "PostgreSQL",
        open: { _ in try await TestPostgres.freshStore() },
        close: { store in
            if let store = store as? PostgresStore { await TestPostgres.remove(store) }
        }
    )

    var testDescription: String { name }

    /// Runs `body` against a fresh store of this kind.
    func withStore(_ body: (Store) async throws -> Void) async throws {
        try await withFreshStore(open: open, close: close, body)
    }
}
