import Delivery
import Foundation
import JSON
import TestSupport
import Testing

/// Dedupe keys, correlations and bindings.
extension StoreConformanceTests {
    @Test("a dedupe key committed before makes a later job a duplicate, not queued", arguments: StoreKind.allCases)
    func dedupeAcrossCommits(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            #expect(ids(try await store.enqueue([job("a", "first", keys: ["k1"])])) == [1])
            #expect(try await store.enqueue([job("a", "again", keys: ["k1"])]) == [.duplicate])
            #expect(try await store.pendingCount(destination: "novu") == 1)
        }
    }

    @Test("in one commit the later job with a key already used is the duplicate", arguments: StoreKind.allCases)
    func dedupeWithinCommit(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            let results = try await store.enqueue([
                job("a", "first", keys: ["k1"]), job("b", "again", keys: ["k1"]), job("c", "other", keys: ["k2"]),
            ])
            #expect(ids(results) == [1, -1, 2])
            #expect(try await claim(store) == ["first", "other"])
        }
    }

    @Test("a duplicate's other keys are remembered too: they were seen", arguments: StoreKind.allCases)
    func duplicateKeysRemembered(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([job("a", "first", keys: ["k1"])])
            #expect(try await store.enqueue([job("a", "both", keys: ["k1", "k2"])]) == [.duplicate])
            #expect(try await store.enqueue([job("a", "second key", keys: ["k2"])]) == [.duplicate])
            #expect(try await store.dedupeKeys() == ["k1", "k2"])
        }
    }

    @Test("a correlation's transaction dedupes like a key, within a commit and across commits", arguments: StoreKind.allCases)
    func correlationDedupes(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            let first = try await store.enqueue([
                job("a", "tx-1", correlation: correlation("tx-1")), job("b", "tx-1 again", correlation: correlation("tx-1")),
            ])
            #expect(ids(first) == [1, -1])
            #expect(try await store.enqueue([job("c", "tx-1 later", correlation: correlation("tx-1"))]) == [.duplicate])
            #expect(ids(try await store.enqueue([job("c", "tx-2", correlation: correlation("tx-2"))])) == [2])
            #expect(try await claim(store) == ["tx-1", "tx-2"])
        }
    }

    @Test("the correlation a job carried is read back, context included; an unknown transaction has none", arguments: StoreKind.allCases)
    func correlationLookup(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            var cause = correlation("tx-1")
            cause.context = ["tenant": ["id": "acme"]]
            _ = try await store.enqueue([job("a", "trigger", correlation: cause), job("b", "plain", correlation: correlation("tx-2"))])
            #expect(try await store.correlation(transactionId: "tx-1") == cause)
            #expect(try await store.correlation(transactionId: "tx-2") == correlation("tx-2"))
            #expect(try await store.correlation(transactionId: "tx-3") == nil)
        }
    }

    @Test(
        "a feedback job names its cause: linked to it as it is queued when recorded, queued as it is when not",
        arguments: StoreKind.allCases
    )
    func linkedToCause(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            var cause = correlation("tx-1")
            cause.context = ["tenant": "acme"]
            _ = try await store.enqueue([job("ada", "trigger", correlation: cause)])
            func feedback(_ transaction: String, _ tag: String) -> NewJob {
                var job = NewJob(
                    destination: "segment",
                    orderingKey: "ada-\(tag)",
                    kind: "track",
                    payload: Data(#"{"event":"Email Delivered","properties":{"channel":"email"}}"#.utf8),
                    dedupeKeys: [tag]
                )
                job.cause = transaction
                return job
            }
            _ = try await store.enqueue([feedback("tx-1", "caused"), feedback("tx-9", "foreign")])
            let claimed = try await store.claim(destination: "segment", limit: 10, now: soon)
            let events = try Dictionary(
                uniqueKeysWithValues: claimed.map { ($0.orderingKey ?? "", try JSONValue.parse($0.payload)) }
            )
            #expect(
                events["ada-caused"]?["properties"]
                    == [
                        "channel": "email", "trigger_event": "Order Completed", "trigger_message_id": "m-tx-1",
                        "context": ["tenant": "acme"],
                    ]
            )
            #expect(events["ada-foreign"]?["properties"] == ["channel": "email"])
            #expect(events["ada-caused"]?["event"] == "Email Delivered")
        }
    }

    @Test("a binding commits with its jobs, or with none; binding the same value again is no conflict", arguments: StoreKind.allCases)
    func bindingCommits(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            #expect(try await store.enqueue([], binding: KeyBinding(key: "sig:abc", value: "digest-1")).isEmpty)
            #expect(try await store.dedupeKeys() == ["sig:abc=digest-1"])
            let results = try await store.enqueue([job("a", "signed")], binding: KeyBinding(key: "sig:abc", value: "digest-1"))
            #expect(ids(results) == [1])
        }
    }

    @Test("a key bound to another value throws BindingConflict and commits nothing of the request", arguments: StoreKind.allCases)
    func bindingConflict(_ kind: StoreKind) async throws {
        try await kind.withStore { store async throws in
            _ = try await store.enqueue([], binding: KeyBinding(key: "sig:abc", value: "digest-1"))
            await #expect(throws: BindingConflict(key: "sig:abc")) {
                try await store.enqueue([job("a", "forged", keys: ["k1"])], binding: KeyBinding(key: "sig:abc", value: "digest-2"))
            }
            #expect(try await store.pendingCount(destination: "novu") == 0)
            // Its dedupe key was not remembered: the same event, honestly signed, is no duplicate.
            #expect(ids(try await store.enqueue([job("a", "honest", keys: ["k1"])])) == [1])
        }
    }
}
