import CompressNIO
import Delivery
import Foundation
import FrontDoor
import Hummingbird
import JSON
import NIOCore
import TestSupport
import Testing

@testable import Outbound

/// How much request body the segment port holds at once, and for how long: bounded by the bytes that
/// actually arrived, and by the time a body may take.
@Suite("Bodies in flight")
struct BodyBudgetTests {
    /// Adds the segment port's routes, served with `configuration`, to a test server; returns what they
    /// hold of the budget.
    func routes(_ configuration: SegmentIngest.Configuration) -> (Intake, Router<BridgeRequestContext>) -> @Sendable () -> Int {
        { intake, router in
            let ingest = SegmentIngest(configuration: configuration, mapper: SegmentMapper(), intake: intake, logger: quietLogger("budget"))
            let routes = SegmentRoutes(ingest: ingest)
            routes.register(on: router)
            return { routes.bodies.budget.held }
        }
    }

    static let event: JSONValue = ["type": "identify", "messageId": "budget-1", "userId": "u1", "traits": ["email": "a@example.com"]]

    @Test("takes add up to the capacity, no further; what is given back can be taken again")
    func budget() {
        let budget = BodyBudget(capacity: 1000)
        #expect(budget.take(600))
        #expect(!budget.take(500))
        #expect(budget.take(400))
        #expect(budget.held == 1000)
        budget.give(600)
        #expect(budget.take(500))
        #expect(!budget.take(-1))
    }

    @Test("a slow body holds only the bytes it sent, not what it announced: other requests are taken")
    func announcedBytesAreNotHeld() async throws {
        var configuration = SegmentIngest.Configuration()
        configuration.bodyLimit = 1000
        configuration.bodiesInFlightLimit = 1000
        // Before the fix the announced 990 bytes were reserved up front, and this request got 503.
        try await withSlowBody(path: "/", announced: 990, sent: 3, register: routes(configuration)) { post, _, held async throws in
            #expect(held() == 3)
            #expect(try await post([], Self.event.encoded()).status == 200)
        }
    }

    @Test("bytes that did arrive are held: past the budget other requests get 503, until the slow body ends")
    func busyWhileHeld() async throws {
        var configuration = SegmentIngest.Configuration()
        configuration.bodyLimit = 1000
        configuration.bodiesInFlightLimit = 1000
        try await withSlowBody(path: "/", announced: 990, sent: 980, clients: 2, register: routes(configuration)) {
            post,
            slow,
            held async throws in
            #expect(try await post([], Self.event.encoded()).status == 503)
            // The slow body ends (as invalid JSON); its bytes are given back.
            for client in slow { RawConnection.send(client, String(repeating: " ", count: 10)) }
            try await waitUntil("requests are taken again") { held() == 0 }
            #expect(try await post([], Self.event.encoded()).status == 200)
        }
    }

    @Test("a compressed body takes budget for what it inflates to, not only for its bytes on the wire")
    func inflatedBytesAreHeld() async throws {
        var configuration = SegmentIngest.Configuration()
        configuration.bodyLimit = 10_000
        configuration.bodiesInFlightLimit = 0  // twice the limit: 20,000 bytes
        try await withSlowBody(path: "/", announced: 9_500, sent: 9_000, clients: 2, register: routes(configuration)) {
            post,
            _,
            held async throws in
            #expect(held() == 18_000)
            var plain = ByteBuffer(string: #"{"type":"identify","messageId":"gz-1","userId":"u1"}"# + String(repeating: " ", count: 5_000))
            let compressed = try plain.compress(with: .gzip())
            #expect(compressed.readableBytes < 500)
            let answer = try await post([("Content-Encoding", "gzip")], Data(compressed.readableBytesView))
            // Before, only the ~100 bytes on the wire were counted, and the 5 KB it inflates to passed the budget.
            #expect(answer.status == 503)
        }
    }

    @Test("a body that does not arrive within BRIDGE_BODY_TIMEOUT gets 408 and its connection is closed")
    func lateBody() async throws {
        var configuration = SegmentIngest.Configuration()
        configuration.bodyTimeout = .milliseconds(300)
        try await withSlowBody(path: "/", announced: 5000, sent: 10, register: routes(configuration)) { post, slow, held async throws in
            let (answer, closed) = await RawConnection.readUntilClosed(slow[0], timeout: .seconds(5))
            #expect(answer.hasPrefix("HTTP/1.1 408"))
            #expect(answer.contains("BRIDGE_BODY_TIMEOUT"))
            #expect(closed)
            #expect(held() == 0)
            #expect(try await post([], Self.event.encoded()).status == 200)
        }
    }

    @Test("100 connections trickling bodies that announce 8 MiB each leave a well-behaved client's events 200")
    func tricklingConnections() async throws {
        // The default budget (128 MiB) and body limit (8 MiB): before the fix, 16 such connections took
        // the whole budget from their announced lengths, and every other request got 503.
        try await withSlowBody(path: "/", announced: 8 * 1024 * 1024, sent: 1, clients: 100, register: routes(.init())) {
            post,
            tricklers,
            held async throws in
            for round in 0..<20 {
                for trickler in tricklers { RawConnection.send(trickler, " ") }
                let event: JSONValue = ["type": "identify", "messageId": .string("well-behaved-\(round)"), "userId": "u1"]
                #expect(try await post([], event.encoded()).status == 200)
            }
            #expect(held() <= 100 * 21)
        }
    }

    @Test("a webhook without X-Signature, while SEGMENT_SHARED_SECRET is set, is refused before its body is read")
    func unsignedRefusedBeforeBody() async throws {
        var configuration = SegmentIngest.Configuration(sharedSecret: "s3cret")
        configuration.bodyLimit = 1000
        configuration.bodiesInFlightLimit = 1000
        try await withSlowBody(
            path: "/",
            announced: 1000,
            sent: 995,
            clients: 2,
            headers: "X-Signature: 00\r\n",
            register: routes(configuration)
        ) {
            post,
            _,
            _ async throws in
            let event: JSONValue = ["type": "identify", "messageId": "budget-2", "userId": "u1"]
            let unsigned = try await post([], event.encoded())
            #expect(unsigned.status == 401)
            #expect(String(decoding: unsigned.body, as: UTF8.self).contains("X-Signature"))
            // A signature can only be judged against the body: such a request needs budget for it.
            #expect(try await post([("X-Signature", "00")], event.encoded()).status == 503)
        }
    }
}
