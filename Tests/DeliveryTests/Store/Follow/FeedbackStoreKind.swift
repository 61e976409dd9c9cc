import Delivery
import Foundation
import PostgresStore
import TestSupport
import Testing

/// `feedbackFigures` as both stores have it (it is no protocol's: only `bridge doctor` reads it).
protocol FeedbackFiguresReader: Sendable {
    func feedbackFigures(since: Date, webhookKeyPrefix: String) async throws -> FeedbackFigures
}

extension SQLiteStore: FeedbackFiguresReader {}
extension PostgresStore: FeedbackFiguresReader {}

/// A store the follow, funnel and feedback-figure suites run against, as `StoreKind` is for the queue:
/// SQLite, and PostgreSQL when a test server is configured (`TestPostgres`).
struct FeedbackStoreKind: Sendable, CustomTestStringConvertible {
    /// What the suites ask of a store: queueing and settling, pruning, the poller's and the funnel's state.
    typealias Store = any DeliveryQueue & StoreMaintenance & FollowStore & FunnelStore & FeedbackFiguresReader

    let name: String
    /// Opens a fresh, empty store; `directory` is the test's own, removed after it.
    let open: @Sendable (_ directory: TemporaryDirectory) async throws -> Store
    /// Removes what `open` made outside the directory.
    var close: @Sendable (Store) async -> Void = { _ in }

    static let allCases: [FeedbackStoreKind] =
        [FeedbackStoreKind(name: "SQLite", open: { try SQLiteStore(directory: $0.path) })]
        + (TestPostgres.enabled ? [postgres] : [])

    /// A database of its own on the test server (`BRIDGE_TEST_DATABASE_URL`), dropped after the test.
    static let postgres = FeedbackStoreKind(
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
