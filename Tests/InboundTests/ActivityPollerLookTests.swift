import Foundation
import GRDB
import JSON
import Logging
import TestSupport
import Testing

@testable import Delivery
@testable import Inbound

/// One round of the activity poller (`ActivityPoller.look`) through the real libcurl client against a
/// fake Novu, into a real SQLite store: what is read is committed, what is not stays due as it was.
@Suite("Activity poller rounds")
struct ActivityPollerLookTests {
    struct Rig {
        let dir: TemporaryDirectory
        let store: SQLiteStore
        let novu: FakeServer
        let activity: FakeNovuActivity
        let poller: ActivityPoller

        func stop() {
            novu.stop()
            dir.remove()
        }

        /// Follows `transactionId`, Novu having acknowledged its trigger `age` ago, due now.
        func follow(_ transactionId: String, age: TimeInterval = 300) async throws {
            _ = try await store.enqueue([NewJob(destination: "novu", orderingKey: transactionId, kind: "trigger", payload: Data())])
            let job = try #require(try await store.claim(destination: "novu", limit: 1, now: Date().addingTimeInterval(1)).first)
            try await store.settle([
                Settlement(jobId: job.id, outcome: .delivered, follow: Follow(transactionId: transactionId, firstLookAt: Date()))
            ])
            try await store.pool.write { db in
                try db.execute(
                    sql: "UPDATE follow SET since = ? WHERE transaction_id = ?",
                    arguments: [Date().addingTimeInterval(-age).timeIntervalSince1970, transactionId]
                )
            }
        }

        /// Takes one round over everything due.
        func round() async throws -> (until: Date, reason: String)? {
            var pace = ActivityPoller.Pace(bucket: TokenBucket(ratePerSecond: 1000, now: Date()))
            return try await poller.look(at: try await store.dueFollows(now: Date(), limit: 100), pace: &pace)
        }

        /// Looks taken so far, by transaction (ended ones included).
        func looks() async throws -> [String: Int] {
            try await store.pool.read { db in
                Dictionary(
                    uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT transaction_id, looks FROM follow").map {
                        ($0["transaction_id"], $0["looks"])
                    }
                )
            }
        }

        func queuedEvents() async throws -> [String] {
            try await store.pool.read { db in
                try Data.fetchAll(db, sql: "SELECT payload FROM job WHERE destination = 'segment' ORDER BY id").compactMap {
                    try JSONValue.parse($0)["event"]?.stringValue
                }
            }
        }
    }

    static func rig(pageLimit: Int = 1000, maxPages: Int = 20) async throws -> Rig {
        let dir = try TemporaryDirectory()
        let store = try SQLiteStore(directory: dir.path)
        let activity = FakeNovuActivity()
        let novu = try await FakeServer.start { activity.respond($0) }
        var api = NovuActivityAPI(baseURL: novu.baseURL, apiKey: "k")
        api.pageLimit = pageLimit
        var configuration = ActivityPoller.Configuration(api: api)
        configuration.maxPages = maxPages
        let poller = ActivityPoller(
            configuration: configuration,
            names: FeedbackNames(),
            store: store,
            client: CurlHTTPClient(threads: 1),
            wake: { _ in },
            logger: Logger(label: "test")
        )
        return Rig(dir: dir, store: store, novu: novu, activity: activity, poller: poller)
    }

    static func answering(_ status: Int, when contains: String) -> @Sendable (RecordedRequest) -> FakeResponse? {
        { request in request.path.contains(contains) ? FakeResponse(status: status, json: ["message": "no"]) : nil }
    }

    @Test("every page is read; past the page cap, several transactions are asked about one by one")
    func paging() async throws {
        let rig = try await Self.rig(pageLimit: 2, maxPages: 1)
        defer { rig.stop() }
        for id in ["seg-a", "seg-b"] {
            try await rig.follow(id)
            rig.activity.addMessage(id, subscriber: "ada")
            rig.activity.addMessage(id, subscriber: "ada")
        }
        #expect(try await rig.round() == nil)
        #expect(try await rig.queuedEvents() == Array(repeating: "Email Sent", count: 4))
        #expect(try await rig.looks() == ["seg-a": 1, "seg-b": 1])
        // The pair once (a full page, more to come), then each alone.
        #expect(rig.novu.requests.filter { $0.path.hasPrefix("/v1/messages") }.count == 3)
    }

    @Test("a 402 for several is asked about one by one: an old transaction ends, a young one is read")
    func retentionSplit() async throws {
        let rig = try await Self.rig()
        defer { rig.stop() }
        try await rig.follow("seg-old", age: 3 * 86400)
        try await rig.follow("seg-young")
        rig.activity.addMessage("seg-young", subscriber: "ada")
        rig.activity.intercept(Self.answering(402, when: "transactionId=seg-old&"))
        #expect(try await rig.round() == nil)
        #expect(try await rig.store.followFigures().ended == ["retention": 1])
        #expect(try await rig.looks() == ["seg-old": 1, "seg-young": 1])
        #expect(try await rig.queuedEvents() == ["Email Sent"])
    }

    @Test("a 402 for a transaction younger than any plan's retention pauses and ends nothing")
    func youngRetention() async throws {
        let rig = try await Self.rig()
        defer { rig.stop() }
        try await rig.follow("seg-young")
        rig.activity.intercept(Self.answering(402, when: "/v1/messages"))
        let pause = try #require(try await rig.round())
        #expect(pause.reason.contains("402"))
        #expect(try await rig.store.followFigures().ended.isEmpty)
        #expect(try await rig.looks() == ["seg-young": 0])
    }

    @Test("a transaction Novu refuses alone counts as a look and holds up no other")
    func refusedAlone() async throws {
        let rig = try await Self.rig()
        defer { rig.stop() }
        try await rig.follow("seg-bad")
        try await rig.follow("seg-good")
        rig.activity.addMessage("seg-good", subscriber: "ada")
        rig.activity.intercept(Self.answering(400, when: "transactionId=seg-bad&"))
        #expect(try await rig.round() == nil)
        #expect(try await rig.looks() == ["seg-bad": 1, "seg-good": 1])
        #expect(try await rig.queuedEvents() == ["Email Sent"])
        #expect(try await rig.store.followFigures().followed == 2)
    }

    @Test("a pause mid-round commits what was read; the transactions not read stay due, their looks uncounted")
    func pauseMidRound() async throws {
        let rig = try await Self.rig()
        defer { rig.stop() }
        for id in ["seg-a", "seg-b", "seg-c"] {
            try await rig.follow(id)
            rig.activity.addMessage(id, subscriber: "ada")
        }
        // The three together get a 402 and are asked about alone, the last first: c is read, b is
        // refused for now (429), a is never asked.
        rig.activity.intercept { request in
            if request.path.contains("transactionId=seg-a&transactionId=seg-b") { return FakeResponse(status: 402, json: [:]) }
            if request.path.contains("transactionId=seg-b&") { return FakeResponse(status: 429, headers: ["Retry-After": "30"]) }
            return nil
        }
        let pause = try #require(try await rig.round())
        #expect(pause.reason == "rate limited (429)")
        #expect(try await rig.looks() == ["seg-a": 0, "seg-b": 0, "seg-c": 1])
        #expect(try await rig.queuedEvents() == ["Email Sent"])
        #expect(try await rig.store.dueFollows(now: Date(), limit: 10).map(\.transactionId).sorted() == ["seg-a", "seg-b"])
    }

    @Test("an unreadable answer commits nothing and pauses")
    func unreadable() async throws {
        let rig = try await Self.rig()
        defer { rig.stop() }
        try await rig.follow("seg-a")
        rig.activity.intercept { _ in FakeResponse(status: 200, body: Data("<html>".utf8)) }
        #expect(try await rig.round() != nil)
        #expect(try await rig.looks() == ["seg-a": 0])
    }

    @Test("a pause while reading provider events keeps the messages' changes and leaves the look to be taken again")
    func providerPause() async throws {
        let rig = try await Self.rig()
        defer { rig.stop() }
        try await rig.follow("seg-a")
        rig.activity.addMessage("seg-a", subscriber: "ada")
        rig.activity.intercept(Self.answering(503, when: "/v1/notifications"))
        #expect(try await rig.round()?.reason == "HTTP 503")
        #expect(try await rig.queuedEvents() == ["Email Sent"])
        #expect(try await rig.looks() == ["seg-a": 0])
        // Taken again: the sent change is not emitted twice.
        rig.activity.intercept(nil)
        #expect(try await rig.round() == nil)
        #expect(try await rig.queuedEvents() == ["Email Sent"])
        #expect(try await rig.looks() == ["seg-a": 1])
    }
}
