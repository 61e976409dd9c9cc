import Foundation
import GRDB
import JSON
import TestSupport
import Testing

@testable import Delivery

/// The Novu trigger context kept with a correlation (migration `v3-correlation-context`).
@Suite("Correlation context")
struct CorrelationContextTests {
    func trigger(_ transactionId: String, context: [String: JSONValue]?) -> NewJob {
        NewJob(
            destination: "novu",
            orderingKey: "u1",
            kind: "trigger",
            payload: Data("{}".utf8),
            correlation: Correlation(
                transactionId: transactionId,
                eventName: "Order Shipped",
                messageId: "m-\(transactionId)",
                userId: "u1",
                workflow: "wf",
                context: context
            )
        )
    }

    @Test("a correlation's context comes back as it went in; one without stores NULL")
    func roundTrip() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let context: [String: JSONValue] = ["tenant": "acme", "app": ["id": "mobile", "data": ["os": "ios", "n": 3]]]
        _ = try await store.enqueue([trigger("seg-1", context: context), trigger("seg-2", context: nil)])
        #expect(try await store.correlation(transactionId: "seg-1")?.context == context)
        #expect(try await store.correlation(transactionId: "seg-2")?.context == nil)
        let stored = try await DatabaseQueue(path: dir.file(SQLiteStore.fileName)).read { db in
            try String?.fetchAll(db, sql: "SELECT context FROM correlation ORDER BY transaction_id")
        }
        #expect(stored == [#"{"app":{"data":{"n":3,"os":"ios"},"id":"mobile"},"tenant":"acme"}"#, nil])
    }

    @Test("a store of schema v2 gains the column; its correlations read back without context")
    func migratesOlderStore() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file(SQLiteStore.fileName)
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v2")
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO correlation(transaction_id, event_name, message_id, user_id, workflow, created_at)
                    VALUES ('seg-old', 'Cart', 'm-old', 'u1', 'wf', 0)
                    """
            )
        }
        try queue.close()
        let store = try SQLiteStore(directory: dir.path)
        let old = try await store.correlation(transactionId: "seg-old")
        #expect(old == Correlation(transactionId: "seg-old", eventName: "Cart", messageId: "m-old", userId: "u1", workflow: "wf"))
        _ = try await store.enqueue([trigger("seg-new", context: ["tenant": "acme"])])
        #expect(try await store.correlation(transactionId: "seg-new")?.context == ["tenant": "acme"])
    }
}
