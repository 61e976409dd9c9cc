import Delivery
import Foundation
import JSON
import Synchronization

/// A fake Novu that keeps what it was triggered with: each trigger makes one email message for its
/// transaction, which a test then delivers, opens and clicks; `GET /v1/messages` and
/// `GET /v1/notifications` answer with the shapes Novu's activity API has.
package final class FakeNovuActivity: Sendable {
    struct Message: Sendable {
        var id: String
        var transactionId: String
        var subscriberId: String
        var deliveredAt: [String] = []
        var lastSeenDate: String?
        var clicks: [String] = []
    }

    private let messages = Mutex([Message]())
    /// Answers for the activity reads, in place of the real ones while set (402, 429, …).
    private let override = Mutex<FakeResponse?>(nil)

    package init() {}

    /// The transactions triggered so far, in order.
    package var transactions: [String] { messages.withLock { $0.map(\.transactionId) } }

    /// The Novu `_id` of the message of `transactionId`.
    package func messageId(_ transactionId: String) -> String? {
        messages.withLock { $0.first { $0.transactionId == transactionId }?.id }
    }

    package func deliver(_ transactionId: String, at: String = "2026-12-06T10:00:01.000Z") {
        update(transactionId) { $0.deliveredAt = [at] }
    }

    package func open(_ transactionId: String, at: String = "2026-12-06T10:05:00.000Z") {
        update(transactionId) { $0.lastSeenDate = at }
    }

    package func click(_ transactionId: String, url: String) { update(transactionId) { $0.clicks.append(url) } }

    package func answerActivity(with response: FakeResponse?) { override.withLock { $0 = response } }

    /// Answers chosen per request, before everything else: `nil` from `answer` lets the fake answer.
    private let interceptor = Mutex<(@Sendable (RecordedRequest) -> FakeResponse?)?>(nil)

    package func intercept(_ answer: (@Sendable (RecordedRequest) -> FakeResponse?)?) { interceptor.withLock { $0 = answer } }

    /// Adds a message to `transactionId` as if Novu had sent it (a workflow with several steps).
    package func addMessage(_ transactionId: String, subscriber: String) {
        messages.withLock { all in
            all.append(Message(id: String(format: "64f0a0%018d", all.count + 1), transactionId: transactionId, subscriberId: subscriber))
        }
    }

    private func update(_ transactionId: String, _ change: (inout Message) -> Void) {
        messages.withLock { all in
            for index in all.indices where all[index].transactionId == transactionId { change(&all[index]) }
        }
    }

    /// The responder to hand `FakeServer.start`.
    package func respond(_ request: RecordedRequest) -> FakeResponse {
        if let answer = interceptor.withLock({ $0 })?(request) { return answer }
        let (path, query) = Self.split(request.path)
        if request.method == "POST", path == "/v1/events/trigger" {
            let transactionId = request.json["transactionId"]?.stringValue ?? "none"
            let subscriber = request.json["to"]?["subscriberId"]?.stringValue ?? request.json["to"]?.stringValue ?? "unknown"
            messages.withLock { all in
                guard !all.contains(where: { $0.transactionId == transactionId }) else { return }
                all.append(
                    Message(id: String(format: "64f0a0%018d", all.count + 1), transactionId: transactionId, subscriberId: subscriber)
                )
            }
            return novuProcessed
        }
        if request.method == "GET", path == "/v1/environments/me" {
            return FakeResponse(
                status: 200,
                json: ["data": ["_id": "6390f5d6e3b4c6d2a1b0e001", "name": "Development", "identifier": "dev-identifier"]]
            )
        }
        if let answer = override.withLock({ $0 }), path.hasPrefix("/v1/messages") || path.hasPrefix("/v1/notifications") {
            return answer
        }
        let wanted = Set(query.filter { $0.0 == "transactionId" }.map(\.1))
        let chosen = messages.withLock { $0.filter { wanted.contains($0.transactionId) } }
        if request.method == "GET", path == "/v1/messages" {
            // Pages as Novu makes them: `limit` a page, `page` from 0, `hasMore` while a page was full.
            let limit = query.first { $0.0 == "limit" }.flatMap { Int($0.1) } ?? 10
            let page = query.first { $0.0 == "page" }.flatMap { Int($0.1) } ?? 0
            let slice = chosen.dropFirst(page * limit).prefix(limit)
            return FakeResponse(
                status: 200,
                json: [
                    "data": .array(slice.map(Self.message)), "hasMore": .bool(chosen.count > (page + 1) * limit),
                    "page": .int(Int64(page)), "pageSize": .int(Int64(limit)),
                ]
            )
        }
        if request.method == "GET", path == "/v1/notifications" {
            let data = chosen.map(Self.notification)
            return FakeResponse(status: 200, json: ["data": .array(data), "hasMore": false, "page": 0, "pageSize": 50])
        }
        return FakeResponse(status: 404, json: ["message": "not found"])
    }

    /// A message as `GET /v1/messages` returns it (`message.repository.ts` populates `subscriber`).
    static func message(_ message: Message) -> JSONValue {
        var object: [String: JSONValue] = [
            "_id": .string(message.id), "_environmentId": "6390f5d6e3b4c6d2a1b0e001", "_jobId": .string("job-" + message.id),
            "_notificationId": .string("ntf-" + message.id), "_subscriberId": "internal-subscriber",
            "subscriber": ["_id": "internal-subscriber", "subscriberId": .string(message.subscriberId)],
            "templateIdentifier": "wf", "transactionId": .string(message.transactionId), "channel": "email",
            "providerId": "sendgrid", "status": "sent", "createdAt": "2026-12-06T10:00:00.000Z",
            "content": "<html>…</html>", "seen": .bool(message.lastSeenDate != nil), "read": false,
            "deliveredAt": .array(message.deliveredAt.map(JSONValue.string)),
        ]
        if let seen = message.lastSeenDate { object["lastSeenDate"] = .string(seen) }
        return .object(object)
    }

    /// The notification of a message, as the activity feed returns it: provider clicks are execution
    /// details with `source: "Webhook"` (apps/webhook's `CreateExecutionDetails`).
    static func notification(_ message: Message) -> JSONValue {
        let details: [JSONValue] = message.clicks.enumerated().map { index, url in
            [
                "_id": .string("exd-\(index)"), "createdAt": "2026-12-06T10:06:00.000Z", "status": "Success",
                "detail": "Click - (clicked)", "isRetry": false, "isTest": false, "providerId": "sendgrid",
                "source": "Webhook", "raw": .string("{\"event\":\"click\",\"url\":\"\(url)\"}"),
            ]
        }
        return [
            "_id": .string("ntf-" + message.id), "transactionId": .string(message.transactionId),
            "_environmentId": "6390f5d6e3b4c6d2a1b0e001", "_organizationId": "org", "_subscriberId": "internal-subscriber",
            "jobs": [
                [
                    "_id": .string("job-" + message.id), "type": "email", "status": "completed", "providerId": "sendgrid",
                    "executionDetails": .array(details),
                ]
            ],
        ]
    }

    static func split(_ target: String) -> (String, [(String, String)]) {
        guard let mark = target.firstIndex(of: "?") else { return (target, []) }
        let pairs = target[target.index(after: mark)...].split(separator: "&").map { pair -> (String, String) in
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
        return (String(target[..<mark]), pairs)
    }
}
