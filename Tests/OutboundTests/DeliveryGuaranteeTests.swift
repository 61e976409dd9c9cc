import Delivery
import Foundation
import JSON
import Outbound
import TestSupport
import Testing

/// Ordering, backpressure, holds and give-up age, through the real relay against a misbehaving Novu.
@Suite("Delivery guarantees")
struct DeliveryGuaranteeTests {
    func identify(_ id: String, user: String) -> JSONValue {
        ["type": "identify", "messageId": .string(id), "userId": .string(user), "traits": ["email": "x@example.com"]]
    }

    func trigger(_ id: String, user: String) -> JSONValue {
        [
            "type": "track", "event": "E", "messageId": .string(id), "userId": .string(user),
            "properties": ["environment": "development", "name": "wf", "user": ["subscriberId": .string(user)]],
        ]
    }

    @Test("Novu fails a user's upsert twice: that user's trigger waits for it; another user's does not")
    func perUserOrdering() async throws {
        let upsertFailures = Locked(2)
        let harness = try await OutboundHarness { request in
            if request.path == "/v2/subscribers" {
                let fail = upsertFailures.withLock { left -> Bool in
                    left -= 1
                    return left >= 0
                }
                if fail { return FakeResponse(status: 500, json: ["message": "try later"]) }
                return FakeResponse(status: 201, json: ["data": ["subscriberId": "a"]])
            }
            return novuProcessed
        }
        defer { harness.stop() }
        let answer = try await harness.post(json: [identify("o1", user: "a"), trigger("o2", user: "a"), trigger("o3", user: "b")])
        #expect(counts(answer.json) == (3, 0, 0, 0))
        try await harness.novu.waitForRequests(5)
        try await harness.drained()
        let requests = harness.novu.requests
        let upserts = requests.indices.filter { requests[$0].path == "/v2/subscribers" }
        let triggerA = try #require(requests.firstIndex { $0.json["transactionId"] == "seg-o2" })
        let triggerB = try #require(requests.firstIndex { $0.json["transactionId"] == "seg-o3" })
        #expect(upserts.count == 3)
        #expect(triggerA > upserts[2], "a's trigger went before a's upsert succeeded")
        #expect(triggerB < upserts[2], "b's trigger waited for a's upsert")
        #expect(requests.filter { $0.json["transactionId"] == "seg-o2" }.count == 1)
    }

    @Test("a 429 with Retry-After: 3 holds the next attempt to Novu back by at least 3 s")
    func retryAfter() async throws {
        let first = Locked(true)
        let harness = try await OutboundHarness { _ in
            let isFirst = first.withLock { value -> Bool in
                defer { value = false }
                return value
            }
            return isFirst ? FakeResponse(status: 429, headers: ["retry-after": "3"]) : novuProcessed
        }
        defer { harness.stop() }
        #expect(try await harness.post(json: trigger("r1", user: "a")).status == 200)
        try await harness.novu.waitForRequests(1)
        // Once the 429 is settled (its job counted the attempt; the pause is set before the settlement)…
        try await waitUntil("the 429 is settled") {
            for id in Int64(1)...3 where try await harness.store.jobState(id: id)?.attempts == 1 { return true }
            return false
        }
        // …another user's event, ready at once, must wait for the destination-wide pause too.
        #expect(try await harness.post(json: trigger("r2", user: "b")).status == 200)
        let requests = try await harness.novu.waitForRequests(3)
        #expect(requests[1].at - requests[0].at >= .seconds(3))
        try await harness.drained()
        #expect(try await harness.store.stateCounts() == ["delivered": 2])
    }

    @Test("RateLimit-Remaining: 0 pauses the destination until RateLimit-Reset")
    func rateLimitHeaders() async throws {
        let first = Locked(true)
        let harness = try await OutboundHarness { _ in
            let isFirst = first.withLock { value -> Bool in
                defer { value = false }
                return value
            }
            var response = novuProcessed
            if isFirst { response.headers.merge(["ratelimit-remaining": "0", "ratelimit-reset": "2"]) { $1 } }
            return response
        }
        defer { harness.stop() }
        #expect(try await harness.post(json: trigger("l1", user: "a")).status == 200)
        try await harness.novu.waitForRequests(1)
        #expect(try await harness.post(json: trigger("l2", user: "b")).status == 200)
        let requests = try await harness.novu.waitForRequests(2)
        #expect(requests[1].at - requests[0].at >= .seconds(2))
    }

    @Test("a ceiling of 5 requests a second spaces the requests out")
    func ceiling() async throws {
        var options = OutboundHarness.Options()
        options.relay.maxRequestsPerSecond = ["novu": 5]
        let harness = try await OutboundHarness(options: options)
        defer { harness.stop() }
        let events = (0..<10).map { trigger("c\($0)", user: "user-\($0)") }
        let posted = ContinuousClock.now
        #expect(counts(try await harness.post(json: .array(events)).json) == (10, 0, 0, 0))
        let requests = try await harness.novu.waitForRequests(10)
        // The bucket holds at most 5 tokens when the events are claimed (after `posted`); the other 5 come at
        // one per 200 ms, so the tenth cannot leave before 1 s after the post, however long connections take
        // to open. (The bucket reads the wall clock, so allow a little for it.) With no ceiling all ten go
        // within milliseconds.
        #expect(requests[9].at - posted >= .milliseconds(950))
    }

    @Test("401: nothing is dead-lettered; the destination is held and resumes when the key works")
    func credentialHold() async throws {
        let keyWorks = Locked(false)
        let harness = try await OutboundHarness { _ in
            keyWorks.value ? novuProcessed : FakeResponse(status: 401, json: ["message": "API Key not found"])
        }
        defer { harness.stop() }
        let events = (0..<4).map { trigger("h\($0)", user: "user-\($0)") }
        #expect(counts(try await harness.post(json: .array(events)).json) == (4, 0, 0, 0))
        try await harness.novu.waitForRequests(1)
        try await waitUntil("novu is held") { harness.relay.status.destination("novu").held }
        #expect(harness.relay.status.held.first?.reason.contains("novu refused the credentials (401)") == true)
        #expect(try await harness.store.deadLetterCount() == 0)
        keyWorks.withLock { $0 = true }
        try await harness.drained()
        #expect(try await harness.store.stateCounts() == ["delivered": 4])
        #expect(!harness.relay.status.destination("novu").held)
    }

    @Test("an event still failing after BRIDGE_MAX_RETRY_AGE is dead-lettered as expired")
    func giveUpAge() async throws {
        var options = OutboundHarness.Options()
        options.relay.maxRetryAge = .milliseconds(300)
        let harness = try await OutboundHarness(options: options) { _ in FakeResponse(status: 503) }
        defer { harness.stop() }
        #expect(try await harness.post(json: trigger("x1", user: "a")).status == 200)
        try await harness.drained()
        #expect(try await harness.store.stateCounts() == ["dead": 1])
        #expect(try await harness.store.jobState(id: 1)?.reason == "expired")
        #expect(harness.novu.requests.count >= 2)
    }
}
