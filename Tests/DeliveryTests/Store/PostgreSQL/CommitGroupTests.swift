import Delivery
import Foundation
import TestSupport
import Testing

@testable import PostgresStore

/// The group commit on PostgreSQL, without a database: what waits goes together, in order; a failed
/// transaction fails its whole group and no other.
@Suite("Group commit")
struct CommitGroupTests {
    /// A commit that records each group's tags and holds the first group until `release` is called.
    final class Committer: Sendable {
        let groups = Locked<[[String]]>([])
        let held = Locked<CheckedContinuation<Void, Never>?>(nil)
        let failNext = Locked(false)

        func commit(_ group: [[String]]) async throws -> [Result<[EnqueueResult], any Error>] {
            let first = groups.withLock { groups in
                groups.append(group.flatMap { $0 })
                return groups.count == 1
            }
            if first { await withCheckedContinuation { continuation in held.withLock { $0 = continuation } } }
            if failNext.withLock({ failing in
                defer { failing = false }
                return failing
            }) {
                throw StoreError("the database went away")
            }
            var next: Int64 = 0
            return group.map { request in
                .success(
                    request.map { _ -> EnqueueResult in
                        next += 1
                        return .accepted(next)
                    }
                )
            }
        }

        func release() {
            held.withLock {
                $0?.resume()
                $0 = nil
            }
        }
    }

    @Test("requests that arrive while a group commits go together in the next one, each answered with its own results")
    func groupsWhatWaits() async throws {
        let committer = Committer()
        let intake = CommitGroup { try await committer.commit($0) }
        try await withThrowingTaskGroup(of: [EnqueueResult].self) { tasks in
            tasks.addTask { try await intake.submit(["first"], size: 1) }
            try await waitUntil("the first group commits") { committer.held.value != nil }
            for n in 0..<5 { tasks.addTask { try await intake.submit(["w\(n)a", "w\(n)b"], size: 2) } }
            try await waitUntil("five requests wait") { intake.waitingCount == 5 }
            committer.release()
            var answers: [[EnqueueResult]] = []
            for try await answer in tasks { answers.append(answer) }
            #expect(answers.filter { $0.count == 2 }.count == 5)
        }
        let groups = committer.groups.value
        #expect(groups.count == 2)
        #expect(groups.first == ["first"])
        #expect(groups.last?.count == 10)
    }

    @Test("a failed transaction fails every request of its group; the next group commits")
    func failureFailsTheGroup() async throws {
        let committer = Committer()
        let intake = CommitGroup { try await committer.commit($0) }
        let first = Task { try await intake.submit(["first"], size: 1) }
        try await waitUntil("the first group commits") { committer.held.value != nil }
        let waiting = (0..<3).map { n in Task { try await intake.submit(["w\(n)"], size: 1) } }
        try await waitUntil("three requests wait") { intake.waitingCount == 3 }
        committer.failNext.withLock { $0 = true }
        committer.release()
        await #expect(throws: StoreError.self) { try await first.value }
        #expect(try await waiting[0].value == [.accepted(1)])
        let after = try await intake.submit(["later"], size: 1)
        #expect(after == [.accepted(1)])
    }

    @Test("a burst is cut into groups of at most maxJobs jobs, in arrival order")
    func cutsBursts() async throws {
        let committer = Committer()
        let intake = CommitGroup(maxSize: 4) { try await committer.commit($0) }
        let first = Task { try await intake.submit(["first"], size: 1) }
        try await waitUntil("the first group commits") { committer.held.value != nil }
        var tasks: [Task<[EnqueueResult], any Error>] = []
        for n in 0..<5 {
            tasks.append(Task { try await intake.submit(["b\(n)-1", "b\(n)-2"], size: 2) })
            try await waitUntil("request \(n) waits") { intake.waitingCount == n + 1 }
        }
        committer.release()
        _ = try await first.value
        for task in tasks { _ = try await task.value }
        #expect(committer.groups.value.dropFirst().map(\.count) == [4, 4, 2])
        #expect(committer.groups.value.dropFirst().flatMap { $0 } == (0..<5).flatMap { ["b\($0)-1", "b\($0)-2"] })
    }
}
