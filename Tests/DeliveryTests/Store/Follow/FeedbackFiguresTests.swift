import Delivery
import Foundation
import TestSupport
import Testing

/// What `bridge doctor` reads of the last 24 hours from a real store.
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

    @Test("feedback by Novu type and channel, triggers delivered, and the newest webhook")
    func figures() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let before = Date().addingTimeInterval(-1)
        #expect(try await store.feedbackFigures(since: before, webhookKeyPrefix: "novu-webhook:") == FeedbackFigures())
        _ = try await store.enqueue([
            Self.feedback("message.sent", channel: "email", id: "m1"),
            Self.feedback("message.sent", channel: "email", id: "m2", webhook: "msg_1"),
            Self.feedback("message.delivered", channel: "sms", id: "m3"),
            NewJob(destination: "novu", orderingKey: "ada", kind: "trigger", payload: Data("t".utf8)),
            NewJob(destination: "segment", orderingKey: "x", kind: "track", payload: Data("{}".utf8), dedupeKeys: ["novu-webhooks-other"]),
        ])
        let claimed = try await store.claim(destination: "novu", limit: 1, now: Date().addingTimeInterval(1))
        try await store.settle(claimed.map { Settlement(jobId: $0.id, outcome: .delivered) })
        let figures = try await store.feedbackFigures(since: before, webhookKeyPrefix: "novu-webhook:")
        #expect(figures.feedback == ["message.sent/email": 2, "message.delivered/sms": 1])
        #expect(figures.triggersDelivered == 1)
        let last = try #require(figures.lastWebhookAt)
        #expect(last >= before && last <= Date())
        #expect(try await store.feedbackFigures(since: Date().addingTimeInterval(60), webhookKeyPrefix: "novu-webhook:").feedback.isEmpty)
    }
}
