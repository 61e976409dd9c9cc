import Delivery
import Foundation
import Logging
import PostgresNIO
import PostgresStore
import Synchronization
import TestSupport
import Testing

/// What several replicas on one PostgreSQL database keep between them: one schema migration, per-user
/// order, dedupe, leases that run out and settlements that come too late. Each replica is a store of its
/// own (its own pool and claim owner) on a database of the test's own.
@Suite("PostgreSQL replicas", .enabled(if: TestPostgres.enabled))
struct PostgresReplicaTests {
    func job(_ user: String, _ tag: String, keys: [String] = []) -> NewJob {
        NewJob(destination: "novu", orderingKey: user, kind: "trigger", payload: Data(tag.utf8), dedupeKeys: keys)
    }

    var soon: Date { Date().addingTimeInterval(1) }

    func tags(_ jobs: [ClaimedJob]) -> [String] { jobs.map { String(decoding: $0.payload, as: UTF8.self) } }

    @Test("replicas starting together migrate once, under the advisory lock")
    func migrateOnce() async throws {
        let database = try await TestPostgres.freshDatabase()
        let replicas = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<4 { group.addTask { try await TestPostgres.store(database) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(try await TestPostgres.column(replicas[0], "SELECT version FROM bridge_migration") == ["v1"])
        for replica in replicas { replica.close() }
        await TestPostgres.drop(database)
    }

    @Test("the CLI's store (no migration) refuses a database this version has not migrated, then opens it once migrated")
    func noMigrationRefusesOlderSchema() async throws {
        let database = try await TestPostgres.freshDatabase()
        var configuration = PostgresStore.Configuration(url: database)
        configuration.poolSize = 1
        await #expect(throws: StoreError.self) {
            try await PostgresStore.open(configuration, migrate: false, logger: Logger(label: "t"))
        }
        try await TestPostgres.store(database).close()
        try await PostgresStore.open(configuration, migrate: false, logger: Logger(label: "t")).close()
        await TestPostgres.drop(database)
    }

    @Test("while one replica holds a user's head, no replica sends that user's later jobs")
    func orderAcrossReplicas() async throws {
        try await TestPostgres.withReplicas(2) { replicas in
            let (a, b) = (replicas[0], replicas[1])
            _ = try await a.enqueue([job("ada", "ada 1"), job("ada", "ada 2"), job("bob", "bob 1")])
            let head = try await a.claim(destination: "novu", limit: 1, now: soon)
            #expect(tags(head) == ["ada 1"])
            // Replica b sees ada's queue held: only bob's head is claimable, and then nothing.
            #expect(tags(try await b.claim(destination: "novu", limit: 10, now: soon)) == ["bob 1"])
            #expect(try await b.claim(destination: "novu", limit: 10, now: soon).isEmpty)
            #expect(try await b.nextDue(destination: "novu") == nil)
            try await a.settle([Settlement(jobId: head[0].id, outcome: .delivered)])
            #expect(tags(try await b.claim(destination: "novu", limit: 10, now: soon)) == ["ada 2"])
        }
    }

    @Test("a claim whose lease ran out is taken over; the first replica's late settlement is refused, not applied")
    func leaseRunsOut() async throws {
        try await TestPostgres.withReplicas(2, lease: .seconds(2)) { replicas in
            let (a, b) = (replicas[0], replicas[1])
            guard case .accepted(let id) = try await a.enqueue([job("ada", "ada 1")])[0] else { throw TestFailure("not queued") }
            #expect(try await a.claim(destination: "novu", limit: 1, now: soon).map(\.id) == [id])
            #expect(try await b.claim(destination: "novu", limit: 1, now: soon).isEmpty)
            // Replica a stops answering (a slow request, a pause): once its lease runs out, b takes the job.
            let taken = Mutex<[ClaimedJob]>([])
            try await waitUntil("replica b takes the job over") {
                let claimed = try await b.claim(destination: "novu", limit: 1, now: Date().addingTimeInterval(1))
                taken.withLock { $0 += claimed }
                return !claimed.isEmpty
            }
            #expect(taken.withLock { $0.map(\.id) } == [id])
            let failure = AttemptRecord(at: Date(), status: 503, reason: "HTTP 503")
            try await a.settle([Settlement(jobId: id, outcome: .retry(at: Date().addingTimeInterval(60)), attempt: failure)])
            #expect(try await a.jobState(id: id)?.state == "pending")
            #expect(try await a.jobState(id: id)?.attempts == 0)  // a's settlement was refused
            try await b.settle([Settlement(jobId: id, outcome: .delivered)])
            #expect(try await a.jobState(id: id)?.state == "delivered")
            #expect(try await a.jobState(id: id)?.attempts == 1)
        }
    }

    @Test("a replica releases at start only its own claims and those whose lease ran out, never a live replica's")
    func releaseKeepsLiveClaims() async throws {
        try await TestPostgres.withReplicas(2) { replicas in
            let (a, b) = (replicas[0], replicas[1])
            _ = try await a.enqueue([job("ada", "ada 1"), job("bob", "bob 1")])
            #expect(try await a.claim(destination: "novu", limit: 1, now: soon).count == 1)
            #expect(try await b.releaseAllClaims() == 0)
            #expect(try await b.claimedCount(destination: "novu") == 1)
            #expect(try await a.releaseAllClaims() == 1)
        }
    }

    @Test("the same dedupe key queued by two replicas at once is queued once")
    func dedupeAcrossReplicas() async throws {
        try await TestPostgres.withReplicas(2) { replicas in
            for round in 0..<20 {
                let results = try await withThrowingTaskGroup(of: EnqueueResult.self) { group in
                    for (n, replica) in replicas.enumerated() {
                        group.addTask {
                            try await replica.enqueue([job("u\(round)", "r\(round) \(n)", keys: ["key-\(round)"])])[0]
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(results.filter { $0 != .duplicate }.count == 1, "round \(round): \(results)")
            }
            #expect(try await replicas[0].pendingCount(destination: "novu") == 20)
        }
    }

    @Test("a key bound by two replicas at once to two values: one binds, the other gets BindingConflict")
    func bindingAcrossReplicas() async throws {
        try await TestPostgres.withReplicas(2) { replicas in
            for round in 0..<10 {
                let outcomes = await withTaskGroup(of: Bool.self) { group in
                    for (n, replica) in replicas.enumerated() {
                        group.addTask {
                            let binding = KeyBinding(key: "anon-\(round)", value: "user-\(n)")
                            return (try? await replica.enqueue([], binding: binding)) != nil
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 1, "round \(round)")
            }
        }
    }

    @Test("two replicas draining one queue: every job once, each user's jobs in order and one at a time")
    func drainTogether() async throws {
        try await TestPostgres.withReplicas(2) { replicas in
            let users = (0..<8).map { "user-\($0)" }
            for round in 0..<12 {
                _ = try await replicas[round % 2].enqueue(users.map { job($0, "\($0) \(round)") })
            }
            let log = DrainLog()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for replica in replicas {
                    group.addTask {
                        // Each batch is held out while the next is claimed, so the other replica's claims run
                        // while this one's jobs are in flight.
                        var (held, idle) = ([ClaimedJob](), 0)
                        while idle < 3 {
                            let claimed = try await replica.claim(destination: "novu", limit: 3, now: Date().addingTimeInterval(1))
                            idle = claimed.isEmpty && held.isEmpty ? idle + 1 : 0
                            for job in claimed { try log.begin(job) }
                            for job in held { log.end(job) }
                            try await replica.settle(held.map { Settlement(jobId: $0.id, outcome: .delivered) })
                            held = claimed
                        }
                    }
                }
                try await group.waitForAll()
            }
            let sent = log.sent
            #expect(sent.count == 96)
            #expect(Set(sent.map(\.id)).count == 96)
            for user in users {
                let ids = sent.filter { $0.orderingKey == user }.map(\.id)
                #expect(ids == ids.sorted(), "\(user) out of order: \(ids)")
            }
            #expect(try await replicas[0].pendingCount(destination: "novu") == 0)
        }
    }

    @Test("no session state is left on a connection, so PgBouncer in transaction mode can hand it to anyone")
    func noSessionState() async throws {
        try await TestPostgres.withReplicas(1, poolSize: 1) { replicas in
            let store = replicas[0]
            _ = try await store.enqueue([job("ada", "1", keys: ["k"])], binding: KeyBinding(key: "anon", value: "ada"))
            let claimed = try await store.claim(destination: "novu", limit: 10, now: soon)
            try await store.settle(claimed.map { Settlement(jobId: $0.id, outcome: .deadLetter(reason: "HTTP 422")) })
            _ = try await store.replayDeadLetters(DeadLetterFilter())
            _ = try await store.stats(now: Date(), destinations: ["novu"])
            // One connection in the pool: every statement above ran on the one this reads from.
            #expect(try await TestPostgres.column(store, "SELECT name FROM pg_prepared_statements") == [])
            #expect(
                try await TestPostgres.column(
                    store,
                    "SELECT objid::TEXT FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                ) == []
            )
            #expect(try await TestPostgres.column(store, "SELECT current_setting('search_path')") == ["\"$user\", public"])
            #expect(try await TestPostgres.column(store, "SELECT relname::TEXT FROM pg_class WHERE relpersistence = 't'") == [])
        }
    }
}

/// What the replicas sent, and a check that no user has two jobs out at once.
private final class DrainLog: Sendable {
    private let state = Mutex<(sent: [ClaimedJob], out: Set<String>)>(([], []))

    func begin(_ job: ClaimedJob) throws {
        try state.withLock { state in
            let user = job.orderingKey ?? ""
            guard state.out.insert(user).inserted else { throw TestFailure("two jobs of \(user) out at once") }
            state.sent.append(job)
        }
    }

    func end(_ job: ClaimedJob) {
        _ = state.withLock { $0.out.remove(job.orderingKey ?? "") }
    }

    var sent: [ClaimedJob] { state.withLock { $0.sent } }
}
