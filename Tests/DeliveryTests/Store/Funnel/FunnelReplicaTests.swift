import Delivery
import Foundation
import Logging
import PostgresNIO
import PostgresStore
import Synchronization
import TestSupport
import Testing

/// The funnel and the poller's state with several replicas on one PostgreSQL database: steps folded once,
/// triggers announced once and none left behind the cursor, emitted changes that only grow. Each replica
/// is a store of its own (its own pool) on a database of the test's own.
@Suite("PostgreSQL replicas: funnel and follows", .enabled(if: TestPostgres.enabled))
struct FunnelReplicaTests {
    static let t0 = Date(timeIntervalSince1970: 1_796_000_000)

    /// Queues the correlated trigger of `tx` on `destination` (one user per transaction) and settles it
    /// delivered, acknowledging the transaction; `follow` is the follow the settlement starts.
    func settleTrigger(_ store: PostgresStore, tx: String, destination: String = "novu", follow: String? = nil) async throws {
        let cause = Correlation(transactionId: tx, eventName: "Cart Abandoned", messageId: "ajs-\(tx)", userId: "u-\(tx)", workflow: "cart")
        let queued = try await store.enqueue([
            NewJob(destination: destination, orderingKey: "u-\(tx)", kind: "trigger", payload: Data(tx.utf8), correlation: cause)
        ])
        guard case .accepted(let id) = queued.first else { throw TestFailure("trigger \(tx) not queued") }
        try await waitUntil("trigger \(tx) is claimed") {
            try await store.claim(destination: destination, limit: 100, now: Date().addingTimeInterval(1)).contains { $0.id == id }
        }
        try await store.settle([
            Settlement(
                jobId: id,
                outcome: .delivered,
                follow: follow.map { Follow(transactionId: $0, firstLookAt: Date()) },
                acknowledged: tx
            )
        ])
    }

    /// Logs a step of `tx`'s email `m-tx` with its feedback event; `at` is seconds after t0.
    @discardableResult
    func step(_ store: PostgresStore, tx: String, _ stage: FunnelStep.Stage, at seconds: TimeInterval) async throws -> Bool {
        let step = FunnelStep(
            messageId: "m-\(tx)",
            transactionId: tx,
            userId: "u-\(tx)",
            workflow: "cart",
            channel: "email",
            provider: "sendgrid",
            stage: stage,
            at: Self.t0.addingTimeInterval(seconds)
        )
        let job = NewJob(
            destination: "segment",
            orderingKey: "u-\(tx)",
            kind: "track",
            payload: Data("{}".utf8),
            dedupeKeys: ["segment-message:m-\(tx)-\(stage)-\(seconds)"],
            step: step
        )
        return try await store.enqueue([job]).first != .duplicate
    }

    /// One announcer round on `store`: an announcement job (destination `announce`, the transaction as its
    /// payload) per trigger read. Returns how many were read and how many of them were queued.
    func announceRound(_ store: PostgresStore, limit: Int) async throws -> (read: Int, queued: Int) {
        let triggers = try await store.unannouncedTriggers(limit: limit)
        guard let through = triggers.map(\.position).max() else { return (0, 0) }
        let jobs = triggers.map { trigger in
            NewJob(
                destination: "announce",
                orderingKey: "announce:\(trigger.transactionId)",
                kind: "track.batch",
                payload: Data(trigger.transactionId.utf8)
            )
        }
        let results = try await store.announce(jobs, through: through)
        return (triggers.count, results.filter { $0 != .duplicate }.count)
    }

    /// The transactions announced so far, one entry per announcement queued.
    func announced(_ store: PostgresStore) async throws -> [String] {
        try await store.claim(destination: "announce", limit: 10_000, now: Date().addingTimeInterval(1))
            .map { String(decoding: $0.payload, as: UTF8.self) }.sorted()
    }

    @Test("two replicas folding and announcing while triggers settle: each step folds once, each trigger is announced once")
    func foldAndAnnounceTogether() async throws {
        try await TestPostgres.withReplicas(2) { replicas in
            let transactions = (0..<40).map { "tx\($0)" }
            let (logged, producing, folded) = (Tally(0), Tally(2), Tally(0))
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Each replica settles half the triggers, on a lane of its own, and logs their steps: a send,
                // a delivery, and two opens, the earlier one reported last.
                for (n, replica) in replicas.enumerated() {
                    group.addTask {
                        for (i, tx) in transactions.enumerated() where i % 2 == n {
                            try await settleTrigger(replica, tx: tx, destination: "novu-\(n)")
                            let base = TimeInterval(i)
                            for (stage, at) in [(FunnelStep.Stage.sent, 10.0), (.delivered, 20), (.opened, 90), (.opened, 60)] {
                                if try await step(replica, tx: tx, stage, at: base + at) { logged.add(1) }
                            }
                        }
                        producing.add(-1)
                    }
                }
                // Each replica folds and announces in small batches until the others are done and nothing is left.
                for replica in replicas {
                    group.addTask {
                        while true {
                            let done = producing.value == 0
                            let count = try await replica.foldFunnelSteps(limit: 3)
                            folded.add(count)
                            let round = try await announceRound(replica, limit: 3)
                            if done && count == 0 && round.read == 0 { return }
                        }
                    }
                }
                try await group.waitForAll()
            }
            // A step either replica held when the other saw none is folded by its holder before it stops.
            #expect(try await replicas[0].foldFunnelSteps(limit: 1000) == 0)
            #expect(folded.value == logged.value)
            #expect(logged.value == 4 * transactions.count)
            #expect(try await TestPostgres.column(replicas[0], "SELECT COUNT(*)::TEXT FROM funnel_step") == ["0"])
            #expect(try await announced(replicas[1]) == transactions.sorted())
            #expect(try await replicas[0].unannouncedTriggers(limit: 100).isEmpty)
            let facts = try await replicas[1].funnelFacts(from: .distantPast, to: .distantFuture)
            #expect(facts.triggers.count == transactions.count)
            #expect(facts.messages.count == transactions.count)
            for message in facts.messages {
                let base = Self.t0.addingTimeInterval(TimeInterval(transactions.firstIndex(of: message.transactionId) ?? -1))
                #expect(message.sentAt == base.addingTimeInterval(10), "\(message.transactionId)")
                #expect(message.deliveredAt == base.addingTimeInterval(20), "\(message.transactionId)")
                #expect(message.openedAt == base.addingTimeInterval(60), "\(message.transactionId)")
                #expect(message.firstSeenAt == base.addingTimeInterval(10), "\(message.transactionId)")
            }
        }
    }

    @Test("an announcement read before another replica announced the same triggers queues nothing; the rest is read again")
    func announcementOverlap() async throws {
        try await TestPostgres.withReplicas(2) { replicas in
            let (a, b) = (replicas[0], replicas[1])
            try await settleTrigger(a, tx: "t1")
            try await settleTrigger(a, tx: "t2")
            let readByA = try await a.unannouncedTriggers(limit: 10)
            try await settleTrigger(a, tx: "t3")
            let readByB = try await b.unannouncedTriggers(limit: 10)
            #expect(readByA.map(\.transactionId) == ["t1", "t2"])
            #expect(readByB.map(\.transactionId) == ["t1", "t2", "t3"])
            func jobs(_ triggers: [FunnelTrigger]) -> [NewJob] {
                triggers.map {
                    NewJob(
                        destination: "announce",
                        orderingKey: $0.transactionId,
                        kind: "track.batch",
                        payload: Data($0.transactionId.utf8)
                    )
                }
            }
            let first = try await a.announce(jobs(readByA), through: readByA.last?.position ?? 0)
            #expect(first.allSatisfy { $0 != .duplicate })
            // b's batch starts with triggers a announced: none of it is queued, and the cursor stays.
            let late = try await b.announce(jobs(readByB), through: readByB.last?.position ?? 0)
            #expect(late == [.duplicate, .duplicate, .duplicate])
            #expect(try await announceRound(b, limit: 10) == (1, 1))
            #expect(try await announceRound(a, limit: 10) == (0, 0))
            // A batch whose end the cursor has passed is queued by no one, however it was read.
            #expect(try await a.announce(jobs(readByA), through: readByA.last?.position ?? 0) == [.duplicate, .duplicate])
            #expect(try await announced(a) == ["t1", "t2", "t3"])
        }
    }

    @Test("a trigger whose settle commits after a later trigger's is not left behind the cursor")
    func lateCommitIsAnnounced() async throws {
        try await TestPostgres.withReplicas(2) { replicas in
            let (a, b) = (replicas[0], replicas[1])
            try await b.client.withConnection { held in
                let logger = Logger(label: "t")
                // An open transaction holds follow `held`: the settle that starts it waits at that insert,
                // after it recorded its trigger, until this transaction ends.
                try await held.query("BEGIN", logger: logger)
                try await held.query("INSERT INTO follow (transaction_id, since, next_look_at) VALUES ('held', 0, 0)", logger: logger)
                async let early: Void = settleTrigger(a, tx: "early", follow: "held")
                // The trigger gate: shared by settles recording a trigger, closed by the announcer's read.
                @Sendable func gate(granted: Bool) async throws -> Int {
                    let mode = granted ? "RowShareLock" : "ExclusiveLock"
                    let rows = try await held.query(
                        """
                        SELECT COUNT(*) FROM pg_locks
                        WHERE locktype = 'relation' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                          AND relation = 'funnel_cursor'::REGCLASS AND mode = \(mode) AND granted = \(granted)
                        """,
                        logger: logger
                    )
                    for try await count in rows.decode(Int64.self) { return Int(count) }
                    return 0
                }
                async let read: [FunnelTrigger] = {
                    try await waitUntil("the early settle recorded its trigger and waits") { try await gate(granted: true) == 1 }
                    // Another replica's: one replica's settlements share a group commit, in order.
                    try await settleTrigger(b, tx: "late")
                    return try await a.unannouncedTriggers(limit: 10)
                }()
                // Whatever happens, the held transaction ends, so the early settle does.
                do {
                    try await waitUntil("the announcer waits for the early settle") { try await gate(granted: false) == 1 }
                } catch {
                    try await held.query("ROLLBACK", logger: logger)
                    throw error
                }
                try await held.query("ROLLBACK", logger: logger)
                try await early
                #expect(try await read.map(\.transactionId) == ["early", "late"])
            }
        }
    }

    @Test("two replicas folding one message at once keep each stage's earliest time")
    func foldOneMessageTogether() async throws {
        try await TestPostgres.withReplicas(2) { replicas in
            for round in 0..<10 {
                let tx = "r\(round)"
                // Steps alternate between the replicas' batches: each folds some of the message's steps.
                for (n, at) in [50.0, 40, 30, 20, 10, 45, 35, 25, 15, 5].enumerated() {
                    try await step(replicas[n % 2], tx: tx, n < 5 ? .opened : .clicked, at: at)
                }
                let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                    for replica in replicas { group.addTask { try await replica.foldFunnelSteps(limit: 3) } }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(counts.reduce(0, +) == 6, "round \(round): \(counts)")
                try await replicas[0].foldAllFunnelSteps()
            }
            let rows = try await TestPostgres.column(
                replicas[0],
                "SELECT concat_ws(' ', transaction_id, opened_at - 1796000000, clicked_at - 1796000000, first_seen_at - 1796000000) FROM funnel_message ORDER BY 1"
            )
            #expect(rows == (0..<10).map { "r\($0) 10 5 5" })
        }
    }

    @Test("the funnel's and the poller's writes leave no session state on a connection, for PgBouncer in transaction mode")
    func noSessionState() async throws {
        let database = try await TestPostgres.freshDatabase()
        let store = try await TestPostgres.store(database, poolSize: 1)
        do {
            try await settleTrigger(store, tx: "a", follow: "a")
            try await step(store, tx: "a", .sent, at: 1)
            _ = try await store.foldFunnelSteps(limit: 10)
            _ = try await announceRound(store, limit: 10)
            _ = try await store.commit(
                PollCommit(emitted: ["m-a": ("a", ["message.sent"])], looks: [FollowLook(transactionId: "a", next: .end(reason: "age"))])
            )
            let conversion = FunnelConversion(
                transactionId: "a",
                goal: "Order Completed",
                messageId: "m-a",
                workflow: "cart",
                convertedAt: Self.t0
            )
            _ = try await store.commit(ConversionCommit(conversions: [(conversion, nil)]))
            _ = try await store.pruneFunnel(now: Date(), retention: .seconds(86400), batchSize: 10)
            _ = try await store.feedbackFigures(since: .distantPast, webhookKeyPrefix: "novu-webhook:")
            // One connection in the pool: every statement above ran on the one this reads from.
            #expect(try await TestPostgres.column(store, "SELECT name FROM pg_prepared_statements") == [])
            #expect(
                try await TestPostgres.column(store, "SELECT locktype FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory'")
                    == []
            )
            #expect(try await TestPostgres.column(store, "SELECT current_setting('search_path')") == ["\"$user\", public"])
            #expect(try await TestPostgres.column(store, "SELECT relname::TEXT FROM pg_class WHERE relpersistence = 't'") == [])
        } catch {
            store.close()
            await TestPostgres.drop(database)
            throw error
        }
        store.close()
        await TestPostgres.drop(database)
    }

    @Test("a round committed after another replica's newer round takes back none of what it emitted")
    func emittedOnlyGrows() async throws {
        try await TestPostgres.withReplicas(2) { replicas in
            let (a, b) = (replicas[0], replicas[1])
            try await settleTrigger(a, tx: "seg-a", follow: "seg-a")
            _ = try await b.commit(PollCommit(emitted: ["m1": ("seg-a", ["message.sent", "message.delivered"])]))
            _ = try await a.commit(PollCommit(emitted: ["m1": ("seg-a", ["message.sent"])]))
            #expect(try await a.emittedChanges(transactionIds: ["seg-a"]) == ["m1": ["message.sent", "message.delivered"]])
        }
    }
}

/// A count the tasks of a test share.
private final class Tally: Sendable {
    private let count: Mutex<Int>

    init(_ start: Int) { count = Mutex(start) }

    func add(_ n: Int) { count.withLock { $0 += n } }

    var value: Int { count.withLock { $0 } }
}
