import Delivery
import Foundation
import Hummingbird
import TestSupport
import Testing

@testable import Outbound

/// How much request body a port holds at once: bounded in total, not only per request.
@Suite("Bodies in flight")
struct BodyBudgetTests {
    /// Adds the segment port's routes, served with `configuration`, to a test server; returns what they
    /// have reserved.
    func routes(_ configuration: SegmentIngest.Configuration) -> (Intake, Router<BasicRequestContext>) -> @Sendable () -> Int {
        { intake, router in
            let ingest = SegmentIngest(configuration: configuration, mapper: SegmentMapper(), intake: intake, logger: quietLogger("budget"))
            let routes = SegmentRoutes(ingest: ingest)
            routes.register(on: router)
            return { routes.bodies.reserved }
        }
    }

    @Test("reservations add up to the capacity, no further; a release gives the bytes back")
    func budget() {
        let budget = BodyBudget(capacity: 1000)
        #expect(budget.reserve(600))
        #expect(!budget.reserve(500))
        #expect(budget.reserve(400))
        #expect(budget.reserved == 1000)
        budget.release(600)
        #expect(budget.reserve(500))
        // One request alone may take the whole budget, whatever it asks for.
        budget.release(500)
        budget.release(400)
        #expect(budget.reserve(5000) && budget.reserved == 1000)
    }

    @Test("what a body may take: its Content-Length, or the route's limit when chunked or compressed")
    func need() {
        #expect(BodyBudget.need(contentLength: "200", compressed: false, limit: 1000) == 200)
        #expect(BodyBudget.need(contentLength: "5000", compressed: false, limit: 1000) == 1000)
        #expect(BodyBudget.need(contentLength: nil, compressed: false, limit: 1000) == 1000)
        #expect(BodyBudget.need(contentLength: "200", compressed: true, limit: 1000) == 1000)
        #expect(BodyBudget.need(contentLength: "-1", compressed: false, limit: 1000) == 1000)
    }

    @Test("while a slow client's body holds the budget, other requests get 503; once it ends they are taken")
    func busyWhileHeld() async throws {
        var configuration = SegmentIngest.Configuration()
        configuration.bodyLimit = 1000
        configuration.bodiesInFlightLimit = 1000
        let event: JSONValue = ["type": "identify", "messageId": "budget-1", "userId": "u1", "traits": ["email": "a@example.com"]]
        try await checkBusyWhileHeld(path: "/", budget: 1000, body: event.encoded(), register: routes(configuration))
    }

    @Test("a webhook without X-Signature, while SEGMENT_SHARED_SECRET is set, is refused before its body is read")
    func unsignedRefusedBeforeBody() async throws {
        var configuration = SegmentIngest.Configuration(sharedSecret: "s3cret")
        configuration.bodyLimit = 1000
        configuration.bodiesInFlightLimit = 1000
        try await withBudgetHeld(path: "/", holding: 1000, headers: "X-Signature: 00\r\n", register: routes(configuration)) {
            post,
            _ in
            let event: JSONValue = ["type": "identify", "messageId": "budget-2", "userId": "u1"]
            // Before the fix it waited for the budget like any request: 503, which Segment retries.
            let unsigned = try await post([], event.encoded())
            #expect(unsigned.status == 401)
            #expect(String(decoding: unsigned.body, as: UTF8.self).contains("X-Signature"))
            // A signature can only be judged against the body: such a request waits for the budget.
            #expect(try await post([("X-Signature", "00")], event.encoded()).status == 503)
        }
    }
}
