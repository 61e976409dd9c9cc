import Foundation
import TestSupport
import Testing

@testable import Delivery

/// What a job keeps of its failed attempts: every outcome, but the request and the answer of the first
/// and the latest only, so a long outage does not fill the disk with copies of the same request.
@Suite("Attempt history")
struct AttemptHistoryTests {
    @Test("every attempt's outcome is kept; only the first and the latest keep their request and answer")
    func firstAndLatestKeepDetail() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let queued = try await store.enqueue([
            NewJob(destination: "novu", orderingKey: "u1", kind: "trigger", payload: Data("{}".utf8))
        ])
        guard case .accepted(let id) = try #require(queued.first) else {
            Issue.record("not queued")
            return
        }
        let start = Date()
        for attempt in 1...6 {
            let jobs = try await store.claim(destination: "novu", limit: 1, now: start.addingTimeInterval(Double(attempt) * 10))
            try #require(jobs.map(\.id) == [id])
            let record = AttemptRecord(
                at: start.addingTimeInterval(Double(attempt)),
                status: 503,
                reason: "HTTP 503 (\(attempt))",
                response: "answer \(attempt)",
                attemptKey: "seg-1.r\(attempt)",
                request: "POST /v1/events/trigger (\(attempt))"
            )
            let outcome: Settlement.Outcome =
                attempt < 6 ? .retry(at: start.addingTimeInterval(Double(attempt) * 10 + 1)) : .deadLetter(reason: "expired")
            try await store.settle([Settlement(jobId: id, outcome: outcome, attempt: record)])
        }
        let detail = try #require(try await store.deadLetter(id: id))
        #expect(detail.attempts.map(\.reason) == (1...6).map { "HTTP 503 (\($0))" })
        #expect(detail.attempts.map(\.attemptKey) == (1...6).map { "seg-1.r\($0)" })
        #expect(detail.attempts.allSatisfy { $0.status == 503 })
        #expect(detail.attempts.map(\.request) == ["POST /v1/events/trigger (1)", nil, nil, nil, nil, "POST /v1/events/trigger (6)"])
        #expect(detail.attempts.map(\.response) == ["answer 1", nil, nil, nil, nil, "answer 6"])
    }

    @Test("a bulk attempt (no key of the job's own) clears the last key; a settlement without an attempt keeps it")
    func lastKeyIsTheLastAttempts() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        _ = try await store.enqueue([NewJob(destination: "novu", orderingKey: "u1", kind: "trigger", payload: Data("{}".utf8))])
        var now = Date()
        func next() async throws -> ClaimedJob {
            now = now.addingTimeInterval(10)
            return try #require(try await store.claim(destination: "novu", limit: 1, now: now).first)
        }
        // A single attempt answered 503, under the transaction id.
        let first = try await next()
        let answered = AttemptRecord(at: now, status: 503, reason: "HTTP 503", attemptKey: "seg-1")
        try await store.settle([Settlement(jobId: first.id, outcome: .retry(at: now), attempt: answered)])
        let second = try await next()
        #expect(second.lastStatus == 503 && second.lastAttemptKey == "seg-1")
        // Released (shutdown): no attempt, the key stays.
        try await store.settle([Settlement(jobId: second.id, outcome: .release)])
        #expect(try await next().lastAttemptKey == "seg-1")
        // A bulk request with no answer: no status, and no key of this job's own.
        let unanswered = AttemptRecord(at: now, status: nil, reason: "timed out")
        try await store.settle([Settlement(jobId: first.id, outcome: .retry(at: now), attempt: unanswered)])
        let third = try await next()
        #expect(third.lastStatus == nil)
        #expect(third.lastAttemptKey == nil)
    }
}
