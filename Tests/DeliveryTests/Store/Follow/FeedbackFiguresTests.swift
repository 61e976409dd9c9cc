import Delivery
import Foundation
import TestSupport
import Testing

/// What `bridge doctor` reads of the last 24 hours from each real store.
@Suite("Feedback figures")
struct FeedbackFiguresTests {
    static func feedback(_ type: String, channel: String, id: String, webhook: String? = nil) -> NewJob {
        let envelope = #"{"type":"\#(type)","data":{"object":{"_id":"\#(id)","channel":"\#(channel)"}}}"#
        return NewJob(
            destination: "segment",
            orderingKey: "ada",
            kind: "track",
            payload: Data("{}".utf8),
            event: Data(envelope.utf8),
            dedupeKeys: (webhook.map { ["novu-webhook:" + $0] } ?? []) + ["segment-message:novu-\(id)-\(type)"]
        )
    }

    @Test("feedback by Novu type and channel, triggers delivered, and the newest webhook", arguments: FeedbackStoreKind.allCases)
    func figures(_ kind: FeedbackStoreKind) async throws {
        try await kind.withStore { store in
            let before = Date().addingTimeInterval(-1)
            #expect(try await store.feedbackFigures(since: before, webhookKeyPrefix: "novu-webhook:") == FeedbackFigures())
            _ = try await store.enqueue([
                Self.feedback("message.sent", channel: "email", id: "m1"),
                Self.feedback("message.sent", channel: "email", id: "m2", webhook: "msg_1"),
                Self.feedback("message.delivered", channel: "sms", id: "m3"),
                NewJob(destination: "novu", orderingKey: "ada", kind: "trigger", payload: Data("t".utf8)),
                NewJob(
                    destination: "segment",
                    orderingKey: "x",
                    kind: "track",
                    payload: Data("{}".utf8),
                    dedupeKeys: ["novu-webhooks-other"]
                ),
            ])
            let claimed = try await store.claim(destination: "novu", limit: 1, now: Date().addingTimeInterval(1))
            try await store.settle(claimed.map { Settlement(jobId: $0.id, outcome: .delivered) })
            let figures = try await store.feedbackFigures(since: before, webhookKeyPrefix: "novu-webhook:")
            #expect(figures.feedback == ["message.sent/email": 2, "message.delivered/sms": 1])
            #expect(figures.triggersDelivered == 1)
            let last = try #require(figures.lastWebhookAt)
            #expect(last >= before && last <= Date())
            #expect(
                try await store.feedbackFigures(since: Date().addingTimeInterval(60), webhookKeyPrefix: "novu-webhook:").feedback.isEmpty
            )
        }
    }

    @Test("an event that is not a JSON object is left out, and no event fails the figures", arguments: FeedbackStoreKind.allCases)
    func unreadableEvents(_ kind: FeedbackStoreKind) async throws {
        try await kind.withStore { store in
            let before = Date().addingTimeInterval(-1)
            func job(_ n: Int, _ event: [UInt8]) -> NewJob {
                NewJob(
                    destination: "segment",
                    orderingKey: "ada",
                    kind: "track",
                    payload: Data("{}".utf8),
                    event: Data(event),
                    dedupeKeys: ["k\(n)"]
                )
            }
            let latin =
                Array(#"{"type":"message.sent","data":{"object":{"_id":"m9","channel":"email","name":"#.utf8) + [0xE9, 0xFF]
                + Array(#""}}}"#.utf8)
            _ = try await store.enqueue([
                Self.feedback("message.sent", channel: "sms", id: "m1"),
                job(1, Array("{broken".utf8)),
                job(2, Array("not json".utf8)),
                job(3, Array("[1, 2]".utf8)),
                job(4, []),
                job(5, Array(#"{"type":"message.sent"}"#.utf8) + [0]),
                job(6, latin),
            ])
            let figures = try await store.feedbackFigures(since: before, webhookKeyPrefix: "novu-webhook:")
            #expect(figures.feedback["message.sent/sms"] == 1)
            #expect(figures.feedback.keys.allSatisfy { $0.hasPrefix("message.sent/") })
        }
    }
}
