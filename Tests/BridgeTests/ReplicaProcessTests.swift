import Delivery
import Foundation
import JSON
import PostgresStore
import TestSupport
import Testing

/// Several `bridge serve` processes on one PostgreSQL database (DESIGN §12): whatever any of them
/// acknowledged reaches Novu, in each user's order, once (a resend of the same job aside), whichever
/// replica dies.
@Suite("Replicas on PostgreSQL (process)", .enabled(if: TestPostgres.enabled))
struct ReplicaProcessTests {
    /// The fake Novu every replica sends to, each under a path of its own (`/r1`, `/r2`, …), so the test
    /// sees which replica sent what.
    /// Novu never answers `stalled` replicas (until the fake stops): whatever they sent is in flight.
    static func novu(stalled: Set<String> = []) async throws -> FakeServer {
        try await FakeServer.start { request in
            var answer = novuProcessed
            if request.path.hasSuffix("/v1/events/trigger/bulk") {
                answer = novuBulkProcessed(request.json["events"]?.arrayValue?.count ?? 0)
            }
            if stalled.contains(String(request.path.split(separator: "/").first ?? "")) { answer.delay = .seconds(3600) }
            return answer
        }
    }

    /// A replica: `bridge serve` on the shared database, sending to `novu` under `/r<name>`.
    static func replica(_ name: Int, database: DatabaseURL, novu: FakeServer, dir: TemporaryDirectory) throws -> BridgeProcess {
        try BridgeProcess(
            dataDir: dir.path + "/replica-\(name)",
            environment: [
                "BRIDGE_DATABASE_URL": TestPostgres.connectionString(database), "BRIDGE_CLAIM_LEASE": "5s",
                "NOVU_API_KEY": "k", "NOVU_API_URL": "\(novu.baseURL)/r\(name)",
            ]
        )
    }

    /// One delivery seen by the fake Novu: the event's tag, its user, and the replica that sent it.
    struct Delivery: Equatable {
        var tag: String
        var user: String
        var replica: String
    }

    /// Every trigger the fake Novu received, single or bulk, in arrival order.
    static func deliveries(_ novu: FakeServer) -> [Delivery] {
        novu.requests.flatMap { request -> [Delivery] in
            let replica = String(request.path.split(separator: "/").first ?? "")
            let events = request.path.hasSuffix("/bulk") ? request.json["events"]?.arrayValue ?? [] : [request.json]
            return events.compactMap { event in
                guard let tag = event["payload"]?["eventProperties"]?["tag"]?.stringValue,
                    let user = event["to"]?["subscriberId"]?.stringValue
                else { return nil }
                return Delivery(tag: tag, user: user, replica: replica)
            }
        }
    }

    /// A seed-convention track event for `user`, tagged so the fake Novu can tell it apart.
    static func event(_ tag: String, user: String) -> JSONValue {
        [
            "type": "track", "event": "Order Completed", "messageId": .string("msg-\(tag)"), "userId": .string(user),
            "properties": [
                "environment": "development", "name": "receipt", "tag": .string(tag), "user": ["subscriberId": .string(user)],
            ],
        ]
    }

    /// Posts `body` to the first of `ports` (from `start` on, round the list) that answers 200; returns the
    /// index it answered on. A replica that is gone (killed) refuses or drops the request: the same event
    /// goes to the next, and dedupe keeps it one event if the first had taken it after all.
    static func post(_ body: JSONValue, ports: [Int], start: Int, client: CurlHTTPClient) async throws -> Int {
        for offset in 0..<(ports.count * 3) {
            let index = (start + offset) % ports.count
            if (try? await SegmentPort.post(ports[index], body, client: client)) == 200 { return index }
        }
        throw TestFailure("no replica took \(body)")
    }

    @Test("three replicas under 16 clients, one killed mid-run: every acknowledged event reaches Novu in each user's order")
    func killOneOfThree() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let database = try await TestPostgres.freshDatabase()
        // Replica 2 dies with requests in flight: its claims are taken over when their lease runs out.
        let novu = try await Self.novu(stalled: ["r2"])
        defer { novu.stop() }
        let replicas = try (1...3).map { try Self.replica($0, database: database, novu: novu, dir: dir) }
        let dying = replicas[1]
        var ports: [Int] = []
        for replica in replicas { ports.append(try await replica.port("segment")) }
        let portList = ports

        let acknowledged = Locked<[String: [String]]>([:])  // user → tags, in the order each was acknowledged
        let count = Locked(0)
        let client = CurlHTTPClient(threads: 16)
        let perClient = 15
        try await withThrowingTaskGroup(of: Void.self) { group in
            for clientIndex in 0..<16 {
                group.addTask {
                    var start = clientIndex % 3
                    for n in 0..<perClient {
                        let user = "user-\(clientIndex)-\(n % 2)"
                        let tag = "c\(clientIndex)-\(n)"
                        start = try await Self.post(Self.event(tag, user: user), ports: portList, start: start, client: client)
                        acknowledged.withLock { $0[user, default: []].append(tag) }
                        count.withLock { $0 += 1 }
                    }
                }
            }
            group.addTask {
                // Mid-run: replica 2 dies with events queued and in flight.
                try await waitUntil("a third of the events is acknowledged, replica 2 sending", timeout: .seconds(60)) {
                    count.value >= 80 && novu.requests.contains { $0.path.hasPrefix("/r2/") }
                }
                try await dying.kill()
            }
            try await group.waitForAll()
        }
        let total = 16 * perClient
        #expect(count.value == total)
        // The dead replica's claims are taken over once their lease (5 s) runs out.
        try await waitUntil("every acknowledged event reaches Novu", timeout: .seconds(60)) {
            Set(Self.deliveries(novu).map(\.tag)).count == total
        }
        let deliveries = Self.deliveries(novu)
        var seen: Set<String> = []
        for delivery in deliveries where !seen.insert(delivery.tag).inserted {
            // A second copy only of a job the dead replica sent and could not settle: the same job, resent.
            let first = try #require(deliveries.first { $0.tag == delivery.tag })
            #expect(first.replica == "r2", "\(delivery.tag) sent twice, first by \(first.replica)")
        }
        for (user, tags) in acknowledged.value {
            var order: [String] = []
            for delivery in deliveries where delivery.user == user && !order.contains(delivery.tag) { order.append(delivery.tag) }
            #expect(order == tags, "\(user)")
        }
        #expect(Set(deliveries.map(\.replica)).isSuperset(of: ["r1", "r3"]))
        // The takeover happened: jobs replica 2 had in flight were sent again by the others.
        #expect(deliveries.count > total)
        for replica in replicas where replica.isRunning { replica.terminate() }
        for replica in replicas { _ = try? await replica.waitForExit() }
        await TestPostgres.drop(database)
    }

    @Test("a replica started later delivers what a dead replica acknowledged but could not send")
    func laterReplicaPicksUp() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let database = try await TestPostgres.freshDatabase()
        let novu = try await Self.novu()
        defer { novu.stop() }
        // Replica 1 takes events while its Novu does not answer (nothing listens on port 1): they stay queued.
        let first = try BridgeProcess(
            dataDir: dir.path + "/replica-1",
            environment: [
                "BRIDGE_DATABASE_URL": TestPostgres.connectionString(database), "BRIDGE_CLAIM_LEASE": "5s",
                "NOVU_API_KEY": "k", "NOVU_API_URL": "http://127.0.0.1:1/r1",
            ]
        )
        let port = try await first.port("segment")
        let client = CurlHTTPClient(threads: 2)
        var tags: [String: [String]] = [:]
        for n in 0..<20 {
            let user = "user-\(n % 4)"
            #expect(try await SegmentPort.post(port, Self.event("late-\(n)", user: user), client: client) == 200)
            tags[user, default: []].append("late-\(n)")
        }
        try await first.kill()
        #expect(Self.deliveries(novu).isEmpty)
        let later = try Self.replica(4, database: database, novu: novu, dir: dir)
        try await waitUntil("the later replica delivers every event", timeout: .seconds(60)) {
            Set(Self.deliveries(novu).map(\.tag)).count == 20
        }
        let deliveries = Self.deliveries(novu)
        #expect(deliveries.count == 20)
        #expect(Set(deliveries.map(\.replica)) == ["r4"])
        for (user, expected) in tags {
            #expect(deliveries.filter { $0.user == user }.map(\.tag) == expected, "\(user)")
        }
        later.terminate()
        _ = try await later.waitForExit()
        await TestPostgres.drop(database)
    }

    @Test("two replicas running the activity poller on one database emit each change once")
    func pollerOnTwoReplicas() async throws {
        let fakes = try await ActivityPollerProcessTests.Fakes.start()
        defer { fakes.stop() }
        let database = try await TestPostgres.freshDatabase()
        var environment = ActivityPollerProcessTests.environment(novu: fakes.novu, segment: fakes.segment)
        environment["BRIDGE_DATABASE_URL"] = TestPostgres.connectionString(database)
        environment["BRIDGE_CLAIM_LEASE"] = "5s"
        let replicas = try (1...2).map { try BridgeProcess(dataDir: fakes.dir.path + "/replica-\($0)", environment: environment) }
        let client = CurlHTTPClient(threads: 1)
        #expect(
            try await SegmentPort.post(try await replicas[0].port("segment"), SegmentPort.trigger("poll-1", user: "ada"), client: client)
                == 200
        )
        _ = try await replicas[1].port("segment")
        _ = try await fakes.novu.waitForRequests(1)
        let transactionId = try #require(fakes.activity.transactions.first)
        let message = try #require(fakes.activity.messageId(transactionId))
        fakes.activity.deliver(transactionId)
        fakes.activity.open(transactionId)
        fakes.activity.click(transactionId, url: "https://shop.example/cart")
        _ = try await ActivityPollerProcessTests.waitFor(
            fakes.segment,
            events: ["Email Sent", "Email Delivered", "Email Opened", "Email Link Clicked", "Notification Triggered"]
        )
        // Both replicas look at the followed transaction; what one emitted the other's round finds recorded
        // (or its jobs dedupe against it): each change reaches Segment once, however many looks follow.
        let looks = { @Sendable in fakes.novu.requests.filter { $0.path.hasPrefix("/v1/messages?") }.count }
        let seen = looks()
        try await waitUntil("both replicas look again") { looks() >= seen + 6 }
        let expected = ["message.sent", "message.delivered", "message.seen", "message.clicked"].map {
            ActivityPollerProcessTests.webhookMessageId($0, message: message)
        }
        for id in expected + ["novu-trig-\(transactionId)"] {
            #expect(ActivityPollerProcessTests.deliveries(fakes.segment)[id] == 1, "\(id)")
        }
        for replica in replicas { replica.terminate() }
        for replica in replicas { _ = try await replica.waitForExit() }
        await TestPostgres.drop(database)
    }
}
