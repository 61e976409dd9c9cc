import Delivery
import Foundation
import TestSupport
import Testing

/// The activity poller's durable state in each real store (DESIGN §10): SQLite, and PostgreSQL with a
/// test server.
@Suite("Follow store")
struct FollowStoreTests {
    typealias Store = FeedbackStoreKind.Store

    static let now = Date()

    /// A trigger job, claimed and settled with `outcome`, announcing `follow`.
    static func settleTrigger(_ store: Store, id: String, outcome: Settlement.Outcome, lookAt: Date = now) async throws {
        _ = try await store.enqueue([NewJob(destination: "novu", orderingKey: id, kind: "trigger", payload: Data(id.utf8))])
        // Every due job is claimed (a retried one too): this one is settled, the others released as they were.
        let claimed = try await store.claim(destination: "novu", limit: 10, now: Date().addingTimeInterval(1))
        let job = try #require(claimed.first { $0.payload == Data(id.utf8) })
        try await store.settle(
            claimed.map { other in
                other.id == job.id
                    ? Settlement(jobId: job.id, outcome: outcome, follow: Follow(transactionId: "seg-\(id)", firstLookAt: lookAt))
                    : Settlement(jobId: other.id, outcome: .release)
            }
        )
    }

    @Test(
        "a trigger settled delivered is followed from its first look on; a retry or a dry run starts nothing",
        arguments: FeedbackStoreKind.allCases
    )
    func followedOnDelivery(_ kind: FeedbackStoreKind) async throws {
        try await kind.withStore { store in
            try await Self.settleTrigger(store, id: "a", outcome: .delivered, lookAt: Self.now.addingTimeInterval(60))
            try await Self.settleTrigger(store, id: "b", outcome: .retry(at: Self.now))
            try await Self.settleTrigger(store, id: "c", outcome: .dryRun)
            #expect(try await store.dueFollows(now: Self.now, limit: 10).isEmpty)
            let due = try await store.dueFollows(now: Self.now.addingTimeInterval(60), limit: 10)
            #expect(due.map(\.transactionId) == ["seg-a"])
            #expect(due.first?.looks == 0)
            #expect(try await store.followFigures() == FollowFigures(followed: 1, nextLookAt: due.first?.nextLookAt))
            #expect(try await store.nextFollowLook() == due.first?.nextLookAt)
        }
    }

    @Test(
        "a round's jobs, emitted changes and looks land together; a duplicate event is not queued twice",
        arguments: FeedbackStoreKind.allCases
    )
    func commitRound(_ kind: FeedbackStoreKind) async throws {
        try await kind.withStore { store in
            try await Self.settleTrigger(store, id: "a", outcome: .delivered)
            try await Self.settleTrigger(store, id: "b", outcome: .delivered)
            let job = NewJob(
                destination: "segment",
                orderingKey: "ada",
                kind: "track",
                payload: Data("{}".utf8),
                dedupeKeys: ["segment-message:novu-m1-message.sent"]
            )
            let later = Self.now.addingTimeInterval(120)
            let results = try await store.commit(
                PollCommit(
                    jobs: [job],
                    emitted: ["m1": ("seg-a", ["message.sent"])],
                    looks: [
                        FollowLook(transactionId: "seg-a", next: .lookAgain(at: later)),
                        FollowLook(transactionId: "seg-b", next: .end(reason: "retention")),
                    ]
                )
            )
            #expect(results.count == 1)
            #expect(try await store.emittedChanges(transactionIds: ["seg-a", "seg-b"]) == ["m1": ["message.sent"]])
            #expect(try await store.dueFollows(now: later.addingTimeInterval(-1), limit: 10).isEmpty)
            #expect(try await store.dueFollows(now: later, limit: 10).map(\.looks) == [1])
            #expect(try await store.followFigures().ended == ["retention": 1])

            // The webhook of the same change, or the same change seen again, is a duplicate.
            let again = try await store.commit(PollCommit(jobs: [job], emitted: ["m1": ("seg-a", ["message.sent", "message.delivered"])]))
            #expect(again == [.duplicate])
            #expect(try await store.emittedChanges(transactionIds: ["seg-a"]) == ["m1": ["message.delivered", "message.sent"]])
        }
    }

    @Test("what a round emitted for a transaction no longer followed (pruned meanwhile) is not kept", arguments: FeedbackStoreKind.allCases)
    func noOrphans(_ kind: FeedbackStoreKind) async throws {
        try await kind.withStore { store in
            _ = try await store.commit(PollCommit(emitted: ["m1": ("seg-gone", ["message.sent"])]))
            #expect(try await store.emittedChanges(transactionIds: ["seg-gone"]).isEmpty)
        }
    }

    @Test("follows are pruned with their correlations, their messages with them", arguments: FeedbackStoreKind.allCases)
    func pruned(_ kind: FeedbackStoreKind) async throws {
        try await kind.withStore { store in
            try await Self.settleTrigger(store, id: "a", outcome: .delivered)
            _ = try await store.commit(PollCommit(emitted: ["m1": ("seg-a", ["message.sent"])]))
            let soon = try await store.prune(
                now: Date().addingTimeInterval(3600),
                retention: .seconds(86400),
                correlationRetention: .seconds(86400),
                deadLetterRetention: .seconds(30 * 86400),
                batchSize: 1000
            )
            #expect(soon.follows == 0)
            let late = try await store.prune(
                now: Date().addingTimeInterval(2 * 86400),
                retention: .seconds(86400),
                correlationRetention: .seconds(86400),
                deadLetterRetention: .seconds(30 * 86400),
                batchSize: 1000
            )
            #expect(late.follows == 1)
            #expect(try await store.emittedChanges(transactionIds: ["seg-a"]).isEmpty)
            #expect(try await store.followFigures() == FollowFigures())
        }
    }
}
