import Delivery
import Foundation
import Outbound
import Testing

@Suite("Judging Novu's answers")
struct NovuAnswerTests {
    func body(_ json: JSONValue) -> Data { json.encoded() }

    @Test("a topic subscription answered 201 with errors is a dead letter naming the error, wrapped in data or not")
    func subscriptionErrors() {
        let failed: JSONValue = [
            "data": [], "meta": ["successful": 0, "failed": 1],
            "errors": [["subscriberId": "u1", "code": "SUBSCRIBER_NOT_FOUND", "message": "Subscriber with ID u1 could not be found"]],
        ]
        for answer in [failed, ["data": failed]] {
            let verdict = NovuAnswer.judge(.topicSubscribe, status: 201, body: body(answer))
            // Counted as delivered before: the user never joined the topic, and nothing was dead-lettered.
            // Not a retry: the user's identify waits behind it in the same queue.
            #expect(verdict.disposition == .permanent)
            #expect(verdict.reason == "topic subscription failed: SUBSCRIBER_NOT_FOUND: Subscriber with ID u1 could not be found")
        }
        let countedOnly: JSONValue = ["data": ["data": [], "meta": ["successful": 0, "failed": 2]]]
        #expect(NovuAnswer.judge(.topicSubscribe, status: 201, body: body(countedOnly)).disposition == .permanent)
        let subscribed: JSONValue = ["data": ["data": [["_id": "s1"]], "meta": ["successful": 1, "failed": 0], "errors": []]]
        #expect(NovuAnswer.judge(.topicSubscribe, status: 201, body: body(subscribed)) == (.success, "delivered"))
        #expect(NovuAnswer.judge(.topicSubscribe, status: 201, body: Data()).disposition == .success)
    }

    @Test("a processed trigger is delivered")
    func processed() {
        let verdict = NovuAnswer.judge(.trigger, status: 201, body: body(["data": ["acknowledged": true, "status": "processed"]]))
        #expect(verdict.disposition == .success)
    }

    @Test(
        "any other trigger status is permanent, with the status as reason",
        arguments: [
            "trigger_not_active", "no_workflow_steps_defined", "invalid_recipients", "error", "no_tenant_found",
        ]
    )
    func notProcessed(status: String) {
        let verdict = NovuAnswer.judge(.trigger, status: 201, body: body(["data": ["acknowledged": true, "status": .string(status)]]))
        #expect(verdict.disposition == .permanent)
        #expect(verdict.reason == status)
    }

    @Test("HTTP classes apply before the body")
    func httpFirst() {
        #expect(NovuAnswer.judge(.trigger, status: 500, body: Data()).disposition == .retry)
        #expect(NovuAnswer.judge(.trigger, status: 422, body: Data()).disposition == .permanent)
        #expect(NovuAnswer.judge(.trigger, status: 401, body: Data()).disposition == .hold)
        #expect(NovuAnswer.judge(.subscriberUpsert, status: 201, body: Data()).disposition == .success)
    }

    @Test("deleting a subscriber that is gone counts as done")
    func deleteNotFound() {
        #expect(NovuAnswer.judge(.subscriberDelete, status: 404, body: Data()).disposition == .success)
        #expect(NovuAnswer.judge(.subscriberUpsert, status: 404, body: Data()).disposition == .permanent)
    }

    @Test("bulk answers are judged per event, in order")
    func bulk() {
        let answer = body(["data": [["status": "processed"], ["status": "trigger_not_active"], ["status": "processed"]]])
        let verdicts = NovuAnswer.judgeBulk(status: 201, body: answer, count: 3)
        #expect(verdicts.map(\.disposition) == [.success, .permanent, .success])
        #expect(verdicts[1].reason == "trigger_not_active")
        #expect(NovuAnswer.judgeBulk(status: 201, body: answer, count: 4).allSatisfy { $0.disposition == .retry })
        #expect(NovuAnswer.judgeBulk(status: 503, body: Data(), count: 2).allSatisfy { $0.disposition == .retry })
    }

    @Test("a bulk answer that is a bare array is judged the same as one wrapped in data")
    func bareBulk() {
        let answer = body([["status": "processed"], ["status": "error"]])
        let verdicts = NovuAnswer.judgeBulk(status: 201, body: answer, count: 2)
        #expect(verdicts.map(\.disposition) == [.success, .permanent])
        #expect(verdicts[1].reason == "error")
    }
}
