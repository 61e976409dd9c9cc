import Delivery
import Foundation
import JSON
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
            #expect(verdict.verdict == .refused)
            #expect(verdict.reason == "topic subscription failed: SUBSCRIBER_NOT_FOUND: Subscriber with ID u1 could not be found")
        }
        let countedOnly: JSONValue = ["data": ["data": [], "meta": ["successful": 0, "failed": 2]]]
        #expect(NovuAnswer.judge(.topicSubscribe, status: 201, body: body(countedOnly)).verdict == .refused)
        let subscribed: JSONValue = ["data": ["data": [["_id": "s1"]], "meta": ["successful": 1, "failed": 0], "errors": []]]
        #expect(NovuAnswer.judge(.topicSubscribe, status: 201, body: body(subscribed)) == (.delivered(), "delivered"))
        #expect(NovuAnswer.judge(.topicSubscribe, status: 201, body: Data()).verdict == .delivered())
    }

    @Test("a processed trigger is delivered")
    func processed() {
        let verdict = NovuAnswer.judge(.trigger, status: 201, body: body(["data": ["acknowledged": true, "status": "processed"]]))
        #expect(verdict.verdict == .delivered())
    }

    @Test(
        "any other trigger status is permanent, with the status as reason",
        arguments: [
            "trigger_not_active", "no_workflow_steps_defined", "invalid_recipients", "error", "no_tenant_found",
        ]
    )
    func notProcessed(status: String) {
        let verdict = NovuAnswer.judge(.trigger, status: 201, body: body(["data": ["acknowledged": true, "status": .string(status)]]))
        #expect(verdict.verdict == .refused)
        #expect(verdict.reason == status)
    }

    @Test("HTTP classes apply before the body")
    func httpFirst() {
        #expect(NovuAnswer.judge(.trigger, status: 500, body: Data()).verdict == .retry)
        #expect(NovuAnswer.judge(.trigger, status: 422, body: Data()).verdict == .refused)
        #expect(NovuAnswer.judge(.trigger, status: 401, body: Data()).verdict == .hold)
        #expect(NovuAnswer.judge(.subscriberUpsert, status: 201, body: Data()).verdict == .delivered())
    }

    /// 404 answers to `DELETE /v2/subscribers/{id}`: Novu's word that the subscriber is gone, and the
    /// 404s of everything else that can stand between the bridge and Novu.
    static let deleteAnswers: [(label: String, body: String, done: Bool)] = [
        (
            "Novu: was not found",
            #"{"statusCode":404,"timestamp":"2026-12-06T15:00:00.000Z","path":"/v2/subscribers/u1","message":"Subscriber: u1 was not found"}"#,
            true
        ),
        ("Novu: not found for id", #"{"statusCode":404,"path":"/v2/subscribers/u1","message":"Subscriber not found for id u1"}"#, true),
        ("Novu: could not be found", #"{"statusCode":404,"message":"Subscriber with ID u1 could not be found"}"#, true),
        ("statusCode as a number with a fraction", #"{"statusCode":404.0,"message":"Subscriber u1 not found"}"#, true),
        (
            "a wrong base URL (Nest's route miss)",
            #"{"message":"Cannot DELETE /v2/v2/subscribers/u1","error":"Not Found","statusCode":404}"#, false
        ),
        ("a route miss naming a subscriber", #"{"statusCode":404,"message":"Cannot DELETE /subscriber/not found"}"#, false),
        ("a proxy's HTML page", "<html><head><title>404 Not Found</title></head><body>nginx</body></html>", false),
        ("plain text", "404 page not found", false),
        ("an empty body", "", false),
        ("JSON without statusCode", #"{"message":"Subscriber u1 was not found"}"#, false),
        ("another statusCode", #"{"statusCode":400,"message":"Subscriber u1 was not found"}"#, false),
        ("another thing not found", #"{"statusCode":404,"message":"Workflow not found"}"#, false),
        ("a message that is not a string", #"{"statusCode":404,"message":["Subscriber not found"]}"#, false),
    ]

    @Test("a delete answered 404 is done only when Novu says the subscriber was not found", arguments: deleteAnswers)
    func deleteNotFound(label: String, body: String, done: Bool) {
        let verdict = NovuAnswer.judge(.subscriberDelete, status: 404, body: Data(body.utf8))
        if done {
            #expect(verdict == (.delivered(), "already deleted"), "\(label)")
        } else {
            #expect(verdict.verdict == .refused, "\(label)")
            #expect(verdict.reason.hasPrefix("HTTP 404 not from Novu's subscriber lookup: "), "\(label)")
        }
    }

    @Test("the reason of a foreign 404 holds the body's start on one line")
    func deleteNotFoundReason() {
        let page = "<html>\r\n  <body>\tnginx\u{1B}[31m</body>\n</html>\n"
        let verdict = NovuAnswer.judge(.subscriberDelete, status: 404, body: Data(page.utf8))
        #expect(verdict.reason == "HTTP 404 not from Novu's subscriber lookup: <html> <body> nginx [31m</body> </html>")
        let long = NovuAnswer.judge(.subscriberDelete, status: 404, body: Data(String(repeating: "x", count: 500).utf8))
        #expect(long.reason.hasSuffix(String(repeating: "x", count: 200) + "…"))
        #expect(NovuAnswer.judge(.subscriberDelete, status: 404, body: Data()).reason.hasSuffix(": (empty body)"))
        // Other operations never read a 404 as done.
        #expect(NovuAnswer.judge(.subscriberUpsert, status: 404, body: Data()).verdict == .refused)
    }

    @Test("bulk answers are judged per event, in order")
    func bulk() {
        let answer = body(["data": [["status": "processed"], ["status": "trigger_not_active"], ["status": "processed"]]])
        let verdicts = NovuAnswer.judgeBulk(status: 201, body: answer, count: 3)
        #expect(verdicts.map(\.verdict) == [.delivered(), .refused, .delivered()])
        #expect(verdicts[1].reason == "trigger_not_active")
        #expect(NovuAnswer.judgeBulk(status: 201, body: answer, count: 4).allSatisfy { $0.verdict == .retry })
        #expect(NovuAnswer.judgeBulk(status: 503, body: Data(), count: 2).allSatisfy { $0.verdict == .retry })
    }

    @Test("a bulk answer that is a bare array is judged the same as one wrapped in data")
    func bareBulk() {
        let answer = body([["status": "processed"], ["status": "error"]])
        let verdicts = NovuAnswer.judgeBulk(status: 201, body: answer, count: 2)
        #expect(verdicts.map(\.verdict) == [.delivered(), .refused])
        #expect(verdicts[1].reason == "error")
    }
}
