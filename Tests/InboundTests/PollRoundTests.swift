import Delivery
import Foundation
import Inbound
import JSON
import Testing

/// One look at followed transactions, planned without I/O (DESIGN §10).
@Suite("Poll round")
struct PollRoundTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let follow = FollowedTransaction(transactionId: "seg-1", since: now.addingTimeInterval(-300), looks: 2, nextLookAt: now)
    static let cause = Correlation(transactionId: "seg-1", eventName: "Cart Abandoned", messageId: "ajs-1", userId: "ada", workflow: "wf")

    static func message(_ fields: [String: JSONValue] = [:]) -> [String: JSONValue] {
        var message: [String: JSONValue] = [
            "_id": "m1", "_environmentId": "env", "transactionId": "seg-1", "channel": "email", "status": "sent",
            "templateIdentifier": "wf", "providerId": "sendgrid", "createdAt": "2026-12-06T10:00:00.000Z",
            "deliveredAt": ["2026-12-06T10:00:01.000Z"], "subscriber": ["_id": "internal", "subscriberId": "ada"],
            "_subscriberId": "internal", "content": .string(String(repeating: "<p>", count: 10_000)),
        ]
        message.merge(fields) { _, new in new }
        return message
    }

    static func plan(_ round: PollRound) -> PollCommit {
        round.plan(policy: PollPolicy(), names: FeedbackNames(), libraryVersion: "test", now: now)
    }

    static func events(_ commit: PollCommit) throws -> [JSONValue] {
        try commit.jobs.map { try JSONValue.parse($0.payload) }
    }

    @Test("each change becomes the Segment event its webhook would: same name, messageId and dedupe key")
    func sameAsWebhook() throws {
        let commit = Self.plan(
            PollRound(due: [Self.follow], messages: ["seg-1": [Self.message()]], correlations: ["seg-1": Self.cause])
        )
        let events = try Self.events(commit)
        #expect(events.map { $0["event"]?.stringValue } == ["Email Sent", "Email Delivered"])
        for (job, type) in zip(commit.jobs, ["message.sent", "message.delivered"]) {
            // The webhook Novu sends for this change, as the novu port would map it.
            let webhook = NovuWebhook(json: ["type": .string(type), "data": ["object": .object(Self.message())]])!
            let id = FeedbackEvent.messageId(for: webhook)
            #expect(job.dedupeKeys == ["segment-message:" + id])
            #expect(try JSONValue.parse(job.payload)["messageId"]?.stringValue == id)
            #expect(job.destination == "segment")
            #expect(job.orderingKey == "ada")
        }
        #expect(events.allSatisfy { $0["properties"]?["trigger_event"] == "Cart Abandoned" && $0["userId"] == "ada" })
        #expect(events[1]["timestamp"] == "2026-12-06T10:00:01.000Z")
        #expect(commit.emitted["m1"]?.types == ["message.sent", "message.delivered"])
        #expect(commit.emitted["m1"]?.transactionId == "seg-1")
        // The envelope kept for the dead-letter queue has what the mapper reads, not the email's HTML.
        #expect(commit.jobs.allSatisfy { ($0.event?.count ?? 0) < 2048 })
    }

    @Test("the webhook Novu sends and a poll of the same change make the same Segment event")
    func captured() throws {
        // A real webhook body, from Novu's own mapper (Tests/InboundTests/Fixtures/novu).
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Fixtures/novu/message.delivered.email.json"
        )
        let captured = try JSONValue.parse(Data(contentsOf: url))
        let webhook = try #require(NovuWebhook(json: captured))
        // The same message as GET /v1/messages gives it: the subscriber inside `subscriber`, no workflowId.
        var message = try #require(captured["data"]?["object"]?.objectValue)
        message["subscriber"] = ["_id": "internal", "subscriberId": message["subscriberId"] ?? .null]
        message["subscriberId"] = nil
        message["workflowId"] = nil
        message["stepId"] = nil
        var round = PollRound(
            due: [FollowedTransaction(transactionId: webhook.message("transactionId")!, since: Self.now, looks: 0, nextLookAt: Self.now)],
            messages: [webhook.message("transactionId")!: [message]],
            emitted: [webhook.message("_id")!: ["message.sent"]]
        )
        round.environmentId = captured["environmentId"]?.stringValue
        let polled = try #require(try Self.events(Self.plan(round)).first)
        guard case .track(let expected, _, _) = FeedbackEvent.make(webhook, names: FeedbackNames(), cause: nil, libraryVersion: "test")
        else {
            Issue.record("the captured webhook maps to no event")
            return
        }
        for key in ["event", "messageId", "userId", "type"] { #expect(polled[key] == expected[key], "\(key)") }
        var properties = try #require(polled["properties"]?.objectValue)
        var webhookProperties = try #require(expected["properties"]?.objectValue)
        // Only the step is unknown to the activity API.
        webhookProperties["step_id"] = nil
        properties["step_id"] = nil
        #expect(properties == webhookProperties)
    }

    @Test("a look cut short commits what was read but is not counted")
    func unfinished() throws {
        var round = PollRound(due: [Self.follow], messages: ["seg-1": [Self.message()]])
        round.unfinished = ["seg-1"]
        let commit = Self.plan(round)
        #expect(commit.jobs.count == 2)
        #expect(commit.looks.isEmpty)
    }

    @Test("only what was not emitted before; a provider's delivery and Novu's deliveredAt are one change")
    func onlyChanges() throws {
        var round = PollRound(
            due: [Self.follow],
            messages: ["seg-1": [Self.message(["lastSeenDate": "2026-12-06T11:00:00.000Z"])]],
            providerChanges: [
                "m1": [
                    ActivityChange(type: "message.delivered", at: "2026-12-06T10:00:02.000Z"),
                    ActivityChange(type: "message.clicked", at: "2026-12-06T11:01:00.000Z", link: "https://a.example"),
                ]
            ],
            emitted: ["m1": ["message.sent", "message.delivered"]]
        )
        round.correlations = ["seg-1": Self.cause]
        let commit = Self.plan(round)
        let events = try Self.events(commit)
        #expect(events.map { $0["event"]?.stringValue } == ["Email Opened", "Email Link Clicked"])
        #expect(events[1]["properties"]?["link_url"] == "https://a.example")
        #expect(commit.emitted["m1"]?.types == ["message.sent", "message.delivered", "message.seen", "message.clicked"])
    }

    @Test("nothing new: no job, no emitted record, but the look is counted")
    func nothingNew() {
        let commit = Self.plan(
            PollRound(due: [Self.follow], messages: ["seg-1": [Self.message()]], emitted: ["m1": ["message.sent", "message.delivered"]])
        )
        #expect(commit.jobs.isEmpty)
        #expect(commit.emitted.isEmpty)
        #expect(commit.looks == [FollowLook(transactionId: "seg-1", next: .lookAgain(at: Self.now.addingTimeInterval(480)))])
    }

    @Test("a 402 ends the following; no messages yet is just another look")
    func looks() {
        let other = FollowedTransaction(transactionId: "seg-2", since: Self.now, looks: 0, nextLookAt: Self.now)
        var round = PollRound(due: [Self.follow, other], messages: [:])
        round.beyondRetention = ["seg-1"]
        #expect(
            Self.plan(round).looks == [
                FollowLook(transactionId: "seg-1", next: .end(reason: "retention")),
                FollowLook(transactionId: "seg-2", next: .lookAgain(at: Self.now.addingTimeInterval(120))),
            ]
        )
    }

    @Test("a message naming no subscriber gets the user the bridge triggered for; without a cause it is dead-lettered")
    func subscriberFallback() throws {
        var bare = Self.message()
        bare["subscriber"] = nil
        let attributed = Self.plan(PollRound(due: [Self.follow], messages: ["seg-1": [bare]], correlations: ["seg-1": Self.cause]))
        #expect(try Self.events(attributed).allSatisfy { $0["userId"] == "ada" })
        let orphan = Self.plan(PollRound(due: [Self.follow], messages: ["seg-1": [bare]]))
        #expect(orphan.jobs.allSatisfy { $0.deadLetterReason == "no subscriber" })
        #expect(orphan.jobs.count == 2)
    }
}
