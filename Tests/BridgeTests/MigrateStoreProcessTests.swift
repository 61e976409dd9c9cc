import Delivery
import Foundation
import PostgresStore
import TestSupport
import Testing

/// `bridge migrate-store`: a SQLite store's queue moved to PostgreSQL, as replicas take over from one bridge.
@Suite("Store migration (process)", .enabled(if: TestPostgres.enabled))
struct MigrateStoreProcessTests {
    func job(_ user: String, _ tag: String, keys: [String] = [], correlation: Correlation? = nil) -> NewJob {
        NewJob(
            destination: "novu",
            orderingKey: user,
            kind: "trigger",
            payload: Data(tag.utf8),
            event: Data("event \(tag)".utf8),
            dedupeKeys: keys,
            correlation: correlation
        )
    }

    @Test("queued jobs, dead letters, dedupe keys and correlations are copied once, ids and order kept; a second run copies nothing")
    func copiesOnce() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let sqlite = try SQLiteStore(directory: dir.path)
        let cause = Correlation(transactionId: "seg-1", eventName: "Order Completed", messageId: "m-1", userId: "ada", workflow: "receipt")
        _ = try await sqlite.enqueue([job("ada", "dead", keys: ["k-dead"])])
        let claimed = try await sqlite.claim(destination: "novu", limit: 1, now: Date().addingTimeInterval(1))
        let failure = AttemptRecord(at: Date(), status: 422, reason: "HTTP 422", response: "{\"message\":\"bad\"}", attemptKey: "key-1")
        try await sqlite.settle([Settlement(jobId: claimed[0].id, outcome: .deadLetter(reason: "HTTP 422"), attempt: failure)])
        _ = try await sqlite.enqueue([job("bob", "delivered")])
        let delivered = try await sqlite.claim(destination: "novu", limit: 1, now: Date().addingTimeInterval(1))
        try await sqlite.settle([Settlement(jobId: delivered[0].id, outcome: .delivered)])
        _ = try await sqlite.enqueue(
            [job("ada", "ada 1", keys: ["k-1"], correlation: cause), job("ada", "ada 2", keys: ["k-2"]), job("bob", "bob 1")],
            binding: KeyBinding(key: "anon-1", value: "ada")
        )
        let database = try await TestPostgres.freshDatabase()
        // The password travels in the URL; trust authentication ignores it, and no output may show it.
        var withPassword = database
        withPassword.password = "pw-never-shown"
        let url = TestPostgres.connectionString(withPassword)

        let first = try await BridgeProcess.run(["migrate-store", "--data-dir", dir.path, "--to", url])
        #expect(first.status == 0, "\(first.errors)")
        #expect(first.output.contains("3 queued job(s), 1 dead letter(s), 4 dedupe key(s), 1 correlation(s)"), "\(first.output)")
        #expect(!(first.output + first.errors).contains("pw-never-shown"))
        let again = try await BridgeProcess.run(["migrate-store", "--data-dir", dir.path], environment: ["BRIDGE_DATABASE_URL": url])
        #expect(again.status == 0, "\(again.errors)")
        #expect(again.output.contains("0 queued job(s), 0 dead letter(s), 0 dedupe key(s), 0 correlation(s)"), "\(again.output)")

        let postgres = try await TestPostgres.store(database)
        #expect(try await postgres.dedupeKeys() == (try await sqlite.dedupeKeys()))
        #expect(try await postgres.correlation(transactionId: "seg-1") == cause)
        let letters = try await postgres.deadLetters(DeadLetterFilter())
        #expect(letters == (try await sqlite.deadLetters(DeadLetterFilter())))
        let copied = try #require(try await postgres.deadLetter(id: claimed[0].id))
        #expect(copied == (try await sqlite.deadLetter(id: claimed[0].id)))
        #expect(copied.attempts.map(\.attemptKey) == ["key-1"])
        // Each user's jobs in their order; a resend of a copied event is a duplicate; new jobs queue behind.
        #expect(try await postgres.enqueue([job("ada", "resent", keys: ["k-2"])]) == [.duplicate])
        await #expect(throws: BindingConflict.self) {
            _ = try await postgres.enqueue([], binding: KeyBinding(key: "anon-1", value: "bob"))
        }
        _ = try await postgres.enqueue([job("ada", "ada 3")])
        var sent: [String] = []
        while case let jobs = try await postgres.claim(destination: "novu", limit: 10, now: Date().addingTimeInterval(1)), !jobs.isEmpty {
            sent += jobs.map { String(decoding: $0.payload, as: UTF8.self) }
            try await postgres.settle(jobs.map { Settlement(jobId: $0.id, outcome: .delivered) })
        }
        #expect(sent.filter { $0.hasPrefix("ada") } == ["ada 1", "ada 2", "ada 3"])
        #expect(sent.contains("bob 1"))
        postgres.close()
        await TestPostgres.drop(database)
    }

    @Test("a PostgreSQL store that already took other events is refused, not mixed into")
    func refusesBusyTarget() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let sqlite = try SQLiteStore(directory: dir.path)
        _ = try await sqlite.enqueue([job("ada", "sqlite 1")])
        let database = try await TestPostgres.freshDatabase()
        let postgres = try await TestPostgres.store(database)
        _ = try await postgres.enqueue([job("bob", "postgres 1")])
        let run = try await BridgeProcess.run(["migrate-store", "--data-dir", dir.path, "--to", TestPostgres.connectionString(database)])
        #expect(run.status != 0)
        #expect(run.errors.contains("holds another job"), "\(run.errors)")
        postgres.close()
        await TestPostgres.drop(database)
    }
}
