import Delivery
import Foundation
import JSON
import Outbound
import Testing

/// The v1 fallback for Novu deployments without the v2 routes: which answers switch routes, and what
/// the v1 twin of a queued call looks like.
@Suite("Novu v1 fallback")
struct NovuFallbackTests {
    static let upsert = NovuCall.Stored(
        operation: .subscriberUpsert,
        method: "POST",
        path: "/v2/subscribers",
        transactionId: "seg-i1",
        body: Data(#"{"subscriberId":"u1","email":"a@example.com","timezone":"Europe/London","data":{"plan":"pro"}}"#.utf8)
    )
    static let subscribe = NovuCall.Stored(
        operation: .topicSubscribe,
        method: "POST",
        path: "/v2/topics/acme%20inc/subscriptions",
        transactionId: "seg-g1",
        body: Data(#"{"subscriptions":["u1"]}"#.utf8)
    )
    static let delete = NovuCall.Stored(
        operation: .subscriberDelete,
        method: "DELETE",
        path: "/v2/subscribers/u1",
        transactionId: "seg-d1",
        body: Data()
    )
    static let trigger = NovuCall.Stored(
        operation: .trigger,
        method: "POST",
        path: "/v1/events/trigger",
        transactionId: "seg-t1",
        body: Data(#"{"name":"wf"}"#.utf8)
    )

    /// NestJS's answer for a route it does not have, through Novu's exception filter.
    static let cannotPost = Data(
        #"{"statusCode":404,"timestamp":"2026-12-06T15:00:00.000Z","path":"/v2/subscribers","message":"Cannot POST /v2/subscribers","error":"Not Found"}"#
            .utf8
    )
    static let subscriberNotFound = Data(#"{"statusCode":404,"path":"/v2/subscribers/u1","message":"Subscriber: u1 was not found"}"#.utf8)
    static let topicNotFound = Data(
        #"{"statusCode":404,"message":"Topic with key acme not found in current environment","error":"Not Found"}"#.utf8
    )

    static let v1Subscribe: NovuCall.Stored = {
        var call = subscribe
        call.path = "/v1/topics/acme%20inc/subscribers"
        call.body = Data(#"{"subscribers":["u1"]}"#.utf8)
        return call
    }()

    static let decisions: [(String, NovuCall.Stored, Int?, Data, NovuFallback.Decision)] = [
        ("upsert, route missing", upsert, 404, cannotPost, .fallBackToV1(route: "POST /v2/subscribers")),
        ("upsert, proxy page", upsert, 404, Data("<html>404</html>".utf8), .fallBackToV1(route: "POST /v2/subscribers")),
        ("upsert, empty 404", upsert, 404, Data(), .fallBackToV1(route: "POST /v2/subscribers")),
        ("upsert, Novu's business 404", upsert, 404, subscriberNotFound, .judge),
        ("upsert, 201", upsert, 201, Data("{}".utf8), .judge),
        ("upsert, 500", upsert, 500, cannotPost, .judge),
        ("upsert, no answer", upsert, nil, Data(), .judge),
        (
            "topic, route missing", subscribe, 404, Data(#"{"statusCode":404,"message":"Cannot POST /v2/topics/acme/subscriptions"}"#.utf8),
            .fallBackToV1(route: "POST /v2/topics/{key}/subscriptions")
        ),
        ("topic, business 404", subscribe, 404, topicNotFound, .judge),
        ("v1 topic, old Novu without the topic", v1Subscribe, 404, topicNotFound, .createTopic),
        ("v1 topic, route missing too", v1Subscribe, 404, cannotPost, .judge),
        ("v1 topic, 200", v1Subscribe, 200, Data(#"{"data":{"succeeded":["u1"]}}"#.utf8), .judge),
        ("delete keeps its own 404 rule", delete, 404, cannotPost, .judge),
        ("trigger never falls back", trigger, 404, cannotPost, .judge),
    ]

    @Test("which answers switch to v1", arguments: decisions)
    func decide(_ row: (String, NovuCall.Stored, Int?, Data, NovuFallback.Decision)) {
        let (name, call, status, body, expected) = row
        #expect(NovuFallback.decide(call, status: status, body: body) == expected, "\(name)")
    }

    static let routeNotFound: [(String, Bool)] = [
        (#"{"statusCode":404,"message":"Cannot POST /v2/subscribers","error":"Not Found"}"#, true),
        (#"{"message":"cannot post /v2/topics/a/subscriptions"}"#, true),
        ("<html><h1>404 Not Found</h1></html>", true),
        ("", true),
        ("not found", true),
        (#"{"error":"nope"}"#, true),
        (#"{"statusCode":404,"message":"Subscriber: u1 was not found"}"#, false),
        (#"{"statusCode":404,"message":"Topic with key acme not found in current environment"}"#, false),
        (#"{"statusCode":404}"#, false),
    ]

    @Test("a route-not-found 404 is told from Novu's not-found answers", arguments: routeNotFound)
    func isRouteNotFound(_ row: (String, Bool)) {
        #expect(NovuFallback.isRouteNotFound(Data(row.0.utf8)) == row.1, "\(row.0)")
    }

    @Test("the v1 upsert is POST /v1/subscribers with the same body less timezone, and the same transaction")
    func v1Upsert() throws {
        let v1 = try #require(NovuFallback.v1(Self.upsert))
        #expect(v1.operation == .subscriberUpsert)
        #expect(v1.method == "POST")
        #expect(v1.path == "/v1/subscribers")
        #expect(v1.transactionId == "seg-i1")
        #expect(try JSONValue.parse(v1.body) == ["subscriberId": "u1", "email": "a@example.com", "data": ["plan": "pro"]])
    }

    @Test("the v1 topic subscription is POST /v1/topics/{key}/subscribers with {subscribers:[…]}")
    func v1Subscribe() throws {
        let v1 = try #require(NovuFallback.v1(Self.subscribe))
        #expect(v1.path == "/v1/topics/acme%20inc/subscribers")
        #expect(try JSONValue.parse(v1.body) == ["subscribers": ["u1"]])
        #expect(v1.transactionId == "seg-g1")
    }

    @Test("triggers, deletes and calls already on v1 have no v1 twin")
    func noTwin() {
        #expect(NovuFallback.v1(Self.trigger) == nil)
        #expect(NovuFallback.v1(Self.delete) == nil)
        #expect(NovuFallback.v1(Self.v1Subscribe) == nil)
    }

    @Test("an old Novu's topic is created as POST /v1/topics {key, name} with the key decoded")
    func createTopic() throws {
        let create = try #require(NovuFallback.createTopic(for: Self.v1Subscribe))
        #expect(create.method == "POST")
        #expect(create.path == "/v1/topics")
        #expect(try JSONValue.parse(create.body) == ["key": "acme inc", "name": "acme inc"])
        #expect(NovuFallback.createTopic(for: Self.subscribe) == nil)
    }

    @Test("a v1 topic answer listing subscribers not found is a dead letter, like v2's errors")
    func v1SubscriptionAnswer() {
        let missing = NovuAnswer.judge(
            .topicSubscribe,
            status: 200,
            body: Data(#"{"data":{"succeeded":[],"failed":{"notFound":["u1"]}}}"#.utf8)
        )
        #expect(missing.verdict == .refused)
        #expect(missing.reason == "topic subscription failed: SUBSCRIBER_NOT_FOUND: u1")
        let done = NovuAnswer.judge(.topicSubscribe, status: 200, body: Data(#"{"data":{"succeeded":["u1"]}}"#.utf8))
        #expect(done.verdict == .delivered())
    }

    @Test("the version state starts on v2, records each fallback once and says which routes fell back")
    func versions() {
        let versions = NovuAPIVersions()
        #expect(versions.summary == "v2")
        #expect(!versions.usesV1(.subscriberUpsert))
        #expect(versions.fallBack(.subscriberUpsert, route: "POST /v2/subscribers", at: Date(timeIntervalSince1970: 1)))
        #expect(!versions.fallBack(.subscriberUpsert, route: "POST /v2/subscribers", at: Date(timeIntervalSince1970: 2)))
        #expect(versions.usesV1(.subscriberUpsert))
        #expect(!versions.usesV1(.topicSubscribe))
        #expect(versions.summary == "v1 fallback after 404 on POST /v2/subscribers")
        versions.fallBack(.topicSubscribe, route: "POST /v2/topics/{key}/subscriptions", at: Date(timeIntervalSince1970: 3))
        #expect(versions.summary == "v1 fallback after 404 on POST /v2/subscribers, POST /v2/topics/{key}/subscriptions")
        #expect(versions.current.map(\.operation) == [.subscriberUpsert, .topicSubscribe])
    }
}
