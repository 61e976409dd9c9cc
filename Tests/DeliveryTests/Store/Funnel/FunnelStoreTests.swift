import Delivery
import Foundation
import JSON
import TestSupport
import Testing

/// The funnel's facts in each real store (DESIGN §11): triggers recorded when their job settles,
/// steps with the feedback events that report them, conversions once per (transaction, goal).
@Suite("Funnel store")
struct FunnelStoreTests {
    typealias Store = FeedbackStoreKind.Store

    static let t0 = Date(timeIntervalSince1970: 1_796_000_000)

    /// A correlated trigger job for `user`, claimed and settled with `outcome`, acknowledging its transaction.
    static func settleTrigger(_ store: Store, tx: String, user: String = "ada", outcome: Settlement.Outcome = .delivered) async throws {
        let cause = Correlation(
            transactionId: tx,
            eventName: "Cart Abandoned",
            messageId: "ajs-\(tx)",
            userId: user,
            workflow: "cart",
            context: ["tenant": "acme"]
        )
        _ = try await store.enqueue([
            NewJob(destination: "novu", orderingKey: user, kind: "trigger", payload: Data(tx.utf8), correlation: cause)
        ])
        let claimed = try await store.claim(destination: "novu", limit: 10, now: Date().addingTimeInterval(1))
        let job = try #require(claimed.first { $0.payload == Data(tx.utf8) })
        try await store.settle(
            claimed.map { other in
                other.id == job.id
                    ? Settlement(jobId: job.id, outcome: outcome, acknowledged: tx)
                    : Settlement(jobId: other.id, outcome: .release)
            }
        )
    }

    static func feedback(
        _ store: Store,
        message: String,
        tx: String,
        stage: FunnelStep.Stage,
        at seconds: TimeInterval,
        key: String? = nil,
        user: String? = "ada"
    ) async throws -> EnqueueResult? {
        let step = FunnelStep(
            messageId: message,
            transactionId: tx,
            userId: user,
            workflow: "cart",
            channel: "email",
            provider: "sendgrid",
            stage: stage,
            at: t0.addingTimeInterval(seconds),
            failure: stage == .failed ? "bounced" : nil
        )
        let job = NewJob(
            destination: "segment",
            orderingKey: "ada",
            kind: "track",
            payload: Data("{}".utf8),
            dedupeKeys: ["segment-message:" + (key ?? "\(message)-\(stage)-\(seconds)")],
            step: step
        )
        return try await store.enqueue([job]).first
    }

    /// Acknowledges ada's trigger `a` and delivers its email `m1` at t0, folded.
    static func deliver(_ store: Store) async throws {
        try await settleTrigger(store, tx: "a")
        _ = try await feedback(store, message: "m1", tx: "a", stage: .delivered, at: 0)
        try await store.foldAllFunnelSteps()
    }

    @Test(
        "an acknowledged trigger is a funnel trigger with its cause; a retry, a dry run or an unacknowledged one is not",
        arguments: FeedbackStoreKind.allCases
    )
    func triggers(_ kind: FeedbackStoreKind) async throws {
        try await kind.withStore { store in
            try await Self.settleTrigger(store, tx: "a")
            try await Self.settleTrigger(store, tx: "b", user: "bob", outcome: .retry(at: Date()))
            try await Self.settleTrigger(store, tx: "c", user: "cy", outcome: .dryRun)
            let facts = try await store.funnelFacts(from: Date().addingTimeInterval(-60), to: Date().addingTimeInterval(60))
            #expect(facts.triggers.map(\.transactionId) == ["a"])
            let trigger = try #require(facts.triggers.first)
            #expect(trigger.userId == "ada")
            #expect(trigger.triggerEvent == "Cart Abandoned")
            #expect(trigger.triggerMessageId == "ajs-a")
            #expect(trigger.context == ["tenant": "acme"])
            // The outbox: a cursor over the order triggers were recorded in; announced once.
            #expect(try await store.unannouncedTriggers(limit: 10).map(\.transactionId) == ["a"])
            _ = try await store.announce([], through: trigger.position)
            #expect(try await store.unannouncedTriggers(limit: 10).isEmpty)
            try await Self.settleTrigger(store, tx: "d", user: "dee")
            try await Self.settleTrigger(store, tx: "e", user: "eve")
            #expect(try await store.unannouncedTriggers(limit: 1).map(\.transactionId) == ["d"])
            #expect(try await store.unannouncedTriggers(limit: 10).map(\.transactionId) == ["d", "e"])
            // A cursor never goes back, whatever a late round says.
            let newest = try #require(try await store.unannouncedTriggers(limit: 10).last?.position)
            _ = try await store.announce([], through: newest)
            _ = try await store.announce([], through: trigger.position)
            #expect(try await store.unannouncedTriggers(limit: 10).isEmpty)
        }
    }

    @Test(
        "each stage keeps its earliest time; seen and read are one open; a duplicate event records nothing",
        arguments: FeedbackStoreKind.allCases
    )
    func steps(_ kind: FeedbackStoreKind) async throws {
        try await kind.withStore { store in
            try await Self.settleTrigger(store, tx: "a")
            _ = try await Self.feedback(store, message: "m1", tx: "a", stage: .delivered, at: 20)
            _ = try await Self.feedback(store, message: "m1", tx: "a", stage: .sent, at: 10)
            _ = try await Self.feedback(store, message: "m1", tx: "a", stage: .opened, at: 90)  // seen
            _ = try await Self.feedback(store, message: "m1", tx: "a", stage: .opened, at: 60)  // read, reported late but earlier
            let duplicate = try await Self.feedback(store, message: "m1", tx: "a", stage: .clicked, at: 95, key: "m1-sent-10.0")
            #expect(duplicate == .duplicate)
            // Logged with their events, folded into the message's row in a batch.
            #expect(try await store.funnelFacts(from: Date().addingTimeInterval(-60), to: Date().addingTimeInterval(60)).messages.isEmpty)
            #expect(try await store.foldFunnelSteps(limit: 2) == 2)
            #expect(try await store.foldFunnelSteps(limit: 10) == 2)
            #expect(try await store.foldFunnelSteps(limit: 10) == 0)
            let facts = try await store.funnelFacts(from: Date().addingTimeInterval(-60), to: Date().addingTimeInterval(60))
            let message = try #require(facts.messages.first)
            #expect(facts.messages.count == 1)
            #expect(message.sentAt == Self.t0.addingTimeInterval(10))
            #expect(message.deliveredAt == Self.t0.addingTimeInterval(20))
            #expect(message.openedAt == Self.t0.addingTimeInterval(60))
            #expect(message.clickedAt == nil)
            #expect(message.provider == "sendgrid")
            #expect(message.firstSeenAt == Self.t0.addingTimeInterval(10))
        }
    }

    @Test("a conversion is recorded, and its event queued, once per (transaction, goal)", arguments: FeedbackStoreKind.allCases)
    func conversionsOnce(_ kind: FeedbackStoreKind) async throws {
        try await kind.withStore { store in
            try await Self.deliver(store)
            let candidates = try await store.conversionCandidates(userId: "ada", since: Self.t0.addingTimeInterval(-1))
            #expect(candidates.messages.map(\.messageId) == ["m1"])
            #expect(candidates.triggers["a"]?.triggerMessageId == "ajs-a")
            #expect(try await store.conversionCandidates(userId: "bob", since: Self.t0).messages.isEmpty)
            // A step recorded without its user (no conversions configured) is no candidate of anyone's.
            _ = try await Self.feedback(store, message: "m2", tx: "a", stage: .delivered, at: 0, user: nil)
            try await store.foldAllFunnelSteps()
            #expect(
                try await store.conversionCandidates(userId: "ada", since: Self.t0.addingTimeInterval(-1)).messages.map(\.messageId) == [
                    "m1"
                ]
            )
            func convert(at seconds: TimeInterval, goal: String = "Order Completed") async throws -> [FunnelConversion] {
                let conversion = FunnelConversion(
                    transactionId: "a",
                    goal: goal,
                    messageId: "m1",
                    workflow: "cart",
                    convertedAt: Self.t0.addingTimeInterval(seconds)
                )
                let job = NewJob(
                    destination: "segment",
                    orderingKey: "ada",
                    kind: "track",
                    payload: Data("{}".utf8),
                    dedupeKeys: ["segment-message:conv-\(goal)"]
                )
                return try await store.commit(ConversionCommit(conversions: [(conversion, job)]))
            }
            #expect(try await convert(at: 100).count == 1)
            #expect(try await convert(at: 200).isEmpty)
            #expect(try await convert(at: 300, goal: "Signed Up").count == 1)
            let queued = try await store.claim(destination: "segment", limit: 10, now: Date().addingTimeInterval(1))
            // One feedback job, then the two conversions' — one head per user, so claimed one at a time.
            #expect(queued.count == 1)
            let facts = try await store.funnelFacts(from: Date().addingTimeInterval(-60), to: Date().addingTimeInterval(60))
            #expect(facts.messages.first?.convertedAt == Self.t0.addingTimeInterval(100))
        }
    }

    @Test("facts older than the funnel retention are pruned; younger ones stay", arguments: FeedbackStoreKind.allCases)
    func prune(_ kind: FeedbackStoreKind) async throws {
        try await kind.withStore { store in
            try await Self.deliver(store)
            #expect(try await store.pruneFunnel(now: Date(), retention: .seconds(86400), batchSize: 1000) == 1)  // the message, seen at t0
            #expect(
                try await store.pruneFunnel(now: Date().addingTimeInterval(2 * 86400), retention: .seconds(86400), batchSize: 1000) == 1
            )
            let facts = try await store.funnelFacts(from: .distantPast, to: .distantFuture)
            #expect(facts == FunnelFacts())
        }
    }
}
