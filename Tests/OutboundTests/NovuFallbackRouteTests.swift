import Delivery
import Foundation
import JSON
import Logging
import Outbound
import TestSupport
import Testing

/// A Novu without the v2 routes (self-hosted Novu 2.1), through the real segment port, store, relay and
/// libcurl client: the bridge falls back to v1 once and stays there.
@Suite("Novu v1 fallback, end to end")
struct NovuFallbackRouteTests {
    /// Answers like self-hosted Novu 2.1: NestJS's route-not-found for every v2 route, v1 works.
    static let selfHosted: FakeServer.Responder = { request in
        let path = request.path
        if path.hasPrefix("/v2/") {
            return FakeResponse(
                status: 404,
                json: [
                    "statusCode": 404, "timestamp": "2026-12-06T15:00:00.000Z", "path": .string(path),
                    "message": .string("Cannot \(request.method) \(path)"), "error": "Not Found",
                ]
            )
        }
        if path == "/v1/subscribers" { return FakeResponse(status: 201, json: ["data": ["_id": "abc", "subscriberId": "u1"]]) }
        if path.hasSuffix("/subscribers") { return FakeResponse(status: 200, json: ["data": ["succeeded": ["u1"]]]) }
        return novuProcessed
    }

    static func identify(_ messageId: String, email: String) -> JSONValue {
        [
            "type": "identify", "messageId": .string(messageId), "userId": "u1",
            "traits": ["email": .string(email), "firstName": "Ada", "timezone": "Europe/London", "plan": "pro"],
        ]
    }

    @Test("an identify answered 404 on v2 becomes one v1 upsert; the next identify goes straight to v1")
    func identifyFallsBack() async throws {
        let recorder = RecordingLogHandler.Recorder()
        var options = OutboundHarness.Options()
        options.logger = recorder.logger()
        let harness = try await OutboundHarness(options: options, novuResponder: Self.selfHosted)
        defer { harness.stop() }
        #expect(harness.versions.summary == "v2")

        #expect(try await harness.post(json: Self.identify("i1", email: "a@example.com")).status == 200)
        try await harness.drained()
        #expect(harness.novu.requests.map(\.path) == ["/v2/subscribers", "/v1/subscribers"])
        let upsert = try #require(harness.novuRequests("/v1/subscribers").first)
        #expect(upsert.method == "POST")
        #expect(upsert.headers["idempotency-key"] == "seg-i1")
        #expect(upsert.headers["authorization"] == "ApiKey test-novu-key")
        #expect(upsert.json == ["subscriberId": "u1", "email": "a@example.com", "firstName": "Ada", "data": ["plan": "pro"]])
        #expect(harness.versions.usesV1(.subscriberUpsert))
        #expect(harness.versions.summary == "v1 fallback after 404 on POST /v2/subscribers")

        #expect(try await harness.post(json: Self.identify("i2", email: "b@example.com")).status == 200)
        try await harness.drained()
        #expect(harness.novu.requests.map(\.path) == ["/v2/subscribers", "/v1/subscribers", "/v1/subscribers"])
        #expect(harness.novuRequests("/v1/subscribers").last?.headers["idempotency-key"] == "seg-i2")
        #expect(try await harness.store.stateCounts() == ["delivered": 2])

        let notices = recorder.logged.filter { $0.level == .notice && $0.metadata["route"] != nil }
        #expect(notices.count == 1)
        #expect(notices.first?.metadata["route"] == "POST /v2/subscribers")
        // Only the upsert fell back: a group still tries v2 first.
        #expect(!harness.versions.usesV1(.topicSubscribe))
    }

    @Test("a group answered 404 on v2 becomes POST /v1/topics/{key}/subscribers, and stays there")
    func groupFallsBack() async throws {
        let harness = try await OutboundHarness(novuResponder: Self.selfHosted)
        defer { harness.stop() }
        for (index, group) in ["acme", "globex"].enumerated() {
            let event: JSONValue = ["type": "group", "messageId": .string("g\(index)"), "userId": "u1", "groupId": .string(group)]
            #expect(try await harness.post(json: event).status == 200)
            try await harness.drained()
        }
        #expect(
            harness.novu.requests.map(\.path) == [
                "/v2/topics/acme/subscriptions", "/v1/topics/acme/subscribers", "/v1/topics/globex/subscribers",
            ]
        )
        #expect(harness.novuRequests("/v1/topics/acme/subscribers").first?.json == ["subscribers": ["u1"]])
        #expect(harness.versions.summary == "v1 fallback after 404 on POST /v2/topics/{key}/subscriptions")
        #expect(try await harness.store.stateCounts() == ["delivered": 2])
    }

    @Test("Novu's own 404 on the v2 route is judged as before, with no fallback")
    func businessNotFoundStays() async throws {
        let harness = try await OutboundHarness { _ in
            FakeResponse(status: 404, json: ["statusCode": 404, "message": "Environment not found"])
        }
        defer { harness.stop() }
        #expect(try await harness.post(json: Self.identify("i1", email: "a@example.com")).status == 200)
        try await harness.drained()
        #expect(harness.novu.requests.map(\.path) == ["/v2/subscribers"])
        #expect(harness.versions.summary == "v2")
        #expect(try await harness.store.stateCounts() == ["dead": 1])
    }

    @Test("an old Novu that wants the topic first: it is created, and the subscription retried with a fresh key")
    func topicCreatedFirst() async throws {
        let created = Locked(0)
        let harness = try await OutboundHarness { request in
            switch request.path {
            case "/v1/topics":
                created.withLock { $0 += 1 }
                return FakeResponse(status: 201, json: ["data": ["_id": "t1", "key": "acme"]])
            case "/v1/topics/acme/subscribers" where created.value == 0:
                return FakeResponse(
                    status: 404,
                    json: ["statusCode": 404, "message": "Topic with key acme not found in current environment"]
                )
            case "/v1/topics/acme/subscribers":
                return FakeResponse(status: 200, json: ["data": ["succeeded": ["u1"]]])
            default:
                return FakeResponse(status: 404, json: ["statusCode": 404, "message": .string("Cannot POST \(request.path)")])
            }
        }
        defer { harness.stop() }
        let event: JSONValue = ["type": "group", "messageId": "g1", "userId": "u1", "groupId": "acme"]
        #expect(try await harness.post(json: event).status == 200)
        try await harness.drained()
        #expect(
            harness.novu.requests.map(\.path) == [
                "/v2/topics/acme/subscriptions", "/v1/topics/acme/subscribers", "/v1/topics", "/v1/topics/acme/subscribers",
            ]
        )
        #expect(harness.novuRequests("/v1/topics").first?.json == ["key": "acme", "name": "acme"])
        #expect(harness.novuRequests("/v1/topics/acme/subscribers").map { $0.headers["idempotency-key"] } == ["seg-g1", "seg-g1.r2"])
        #expect(try await harness.store.stateCounts() == ["delivered": 1])
    }
}
