import Delivery
import Foundation
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

    static let allCases: [StoreKind] = [
        StoreKind(name: "SQLite") { try SQLiteStore(directory: $0.path) },
        StoreKind(name: "in-memory") { _ in InMemoryStore() },
    ]

    var testDescription: String { name }

    /// Runs `body` against a fresh store of this kind.
    func withStore(_ body: (Store) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await body(try await open(directory))
    }
}
