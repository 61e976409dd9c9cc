import Delivery
import Foundation
import GRDB
import TestSupport
import Testing

@Suite("Retention")
struct RetentionTests {
    /// One round of steady traffic: `count` jobs queued, delivered and settled.
    func round(_ store: SQLiteStore, _ round: Int, count: Int) async throws {
        let jobs = (0..<count).map { index in
            NewJob(
                destination: "novu",
                orderingKey: "u\(index)",
                kind: "trigger",
                payload: Data(String(repeating: "p", count: 400).utf8),
                event: Data(String(repeating: "e", count: 400).utf8),
                dedupeKeys: ["segment:r\(round)-\(index)"],
                correlation: Correlation(
                    transactionId: "seg-r\(round)-\(index)",
                    eventName: "E",
                    messageId: "m",
                    userId: "u",
                    workflow: "w"
                )
            )
        }
        _ = try await store.enqueue(jobs)
        let claimed = try await store.claim(destination: "novu", limit: count, now: Date().addingTimeInterval(1))
        try await store.settle(claimed.map { Settlement(jobId: $0.id, outcome: .delivered) })
    }

    /// A new store in a temporary directory, after one round of `count` jobs.
    func storeAfterRound(count: Int) async throws -> (TemporaryDirectory, SQLiteStore) {
        let dir = try TemporaryDirectory()
        let store = try SQLiteStore(directory: dir.path)
        try await round(store, 0, count: count)
        return (dir, store)
    }

    @Test("delivered jobs, old dedupe keys and correlations go; pending and dead-lettered stay")
    func prunes() async throws {
        let (dir, store) = try await storeAfterRound(count: 50)
        defer { dir.remove() }
        var dead = NewJob(destination: "novu", orderingKey: "d", kind: "trigger", payload: Data())
        dead.deadLetterReason = "HTTP 422"
        _ = try await store.enqueue([dead, NewJob(destination: "novu", orderingKey: "p", kind: "trigger", payload: Data())])
        let later = Date().addingTimeInterval(10)
        let kept = try await store.prune(now: later, retention: .seconds(60), correlationRetention: .seconds(60))
        #expect(kept == PruneResult())
        let pruned = try await store.prune(now: later, retention: .seconds(1), correlationRetention: .seconds(1), batchSize: 7)
        #expect(pruned.jobs == 50)
        #expect(pruned.dedupeKeys == 50)
        #expect(pruned.correlations == 50)
        #expect(try await store.stateCounts() == ["dead": 1, "pending": 1])
    }

    @Test("correlations stay as long as dedupe keys when the retention is longer than their own")
    func correlationsOutliveShortRetention() async throws {
        let (dir, store) = try await storeAfterRound(count: 10)
        defer { dir.remove() }
        // A correlation is the dedupe entry of its job: with a 60 s retention it must not go after 1 s.
        let later = Date().addingTimeInterval(10)
        let early = try await store.prune(now: later, retention: .seconds(60), correlationRetention: .seconds(1))
        #expect(early.correlations == 0)
        #expect(try await store.correlation(transactionId: "seg-r0-3") != nil)
        let late = try await store.prune(now: later, retention: .seconds(1), correlationRetention: .seconds(1))
        #expect(late.correlations == 10)
    }

    @Test("under steady traffic with pruning the file stops growing")
    func boundedGrowth() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        var sizes: [Int] = []
        for index in 0..<8 {
            try await round(store, index, count: 300)
            _ = try await store.prune(now: Date().addingTimeInterval(1), retention: .zero, correlationRetention: .zero, batchSize: 100)
            sizes.append(try await store.filePages())
        }
        // After the first rounds the freed pages are reused: no growth from round 3 to round 8.
        #expect(sizes[7] <= sizes[2], "file pages per round: \(sizes)")
        #expect(try await store.stateCounts().isEmpty)
    }

    @Test("dead letters go after their own retention, counted from when they were dead-lettered, with their attempts")
    func prunesDeadLetters() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        // Three dead-lettered by the relay after a failed attempt (so each has an attempt row), one refused at
        // ingest, and one still pending.
        _ = try await store.enqueue(
            (0..<3).map { NewJob(destination: "novu", orderingKey: "u\($0)", kind: "trigger", payload: Data()) }
        )
        let claimed = try await store.claim(destination: "novu", limit: 10, now: Date().addingTimeInterval(1))
        try await store.settle(
            claimed.map {
                Settlement(
                    jobId: $0.id,
                    outcome: .deadLetter(reason: "HTTP 422"),
                    attempt: AttemptRecord(at: Date(), status: 422, reason: "HTTP 422")
                )
            }
        )
        var refused = NewJob(destination: "novu", orderingKey: "d", kind: "trigger", payload: Data())
        refused.deadLetterReason = "no subscriber"
        _ = try await store.enqueue([refused, NewJob(destination: "novu", orderingKey: "p", kind: "trigger", payload: Data())])
        let attempts = {
            try DatabaseQueue(path: dir.file(SQLiteStore.fileName)).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM attempt") }
        }
        #expect(try attempts() == 3)

        let later = Date().addingTimeInterval(10)
        let kept = try await store.prune(
            now: later,
            retention: .seconds(1),
            correlationRetention: .seconds(1),
            deadLetterRetention: .seconds(60)
        )
        #expect(kept.deadLetters == 0)
        #expect(try await store.deadLetterCount() == 4)
        let pruned = try await store.prune(
            now: later,
            retention: .seconds(1),
            correlationRetention: .seconds(1),
            deadLetterRetention: .seconds(1),
            batchSize: 3
        )
        #expect(pruned.deadLetters == 4)
        #expect(try await store.stateCounts() == ["pending": 1])
        #expect(try attempts() == 0)
    }

    @Test("dead letters are kept 30 days unless configured otherwise")
    func deadLetterRetentionDefault() {
        #expect(Retention.Configuration().deadLetterRetention == .seconds(30 * 86400))
    }
}
