import Delivery
import Foundation
import JSON

/// What one look at a set of followed transactions commits, decided from what Novu answered and what
/// was emitted before (DESIGN §10). Pure: the poller gathers the inputs and commits the result.
package struct PollRound: Sendable {
    /// The transactions looked at.
    package var due: [FollowedTransaction]
    /// Their messages from `GET /v1/messages`, by transaction id.
    package var messages: [String: [[String: JSONValue]]]
    /// Provider events from `GET /v1/notifications`: Novu message id → changes.
    package var providerChanges: [String: [ActivityChange]]
    /// Change types emitted before: Novu message id → types.
    package var emitted: [String: Set<String>]
    /// The Segment events that caused the transactions.
    package var correlations: [String: Correlation]
    /// Transactions Novu answered 402 for: no longer followed.
    package var beyondRetention: Set<String> = []
    /// The environment's `identifier`, which webhooks carry as `environmentId`; `nil` when unknown.
    package var environmentId: String?
    /// Transactions whose look was cut short (a pause while reading their provider events): what was
    /// read is committed, but the look is not counted, so they are due again when the pause ends.
    package var unfinished: Set<String> = []
    /// Conversions are configured: funnel steps keep their subscriber.
    package var recordsUsers = false

    package init(
        due: [FollowedTransaction],
        messages: [String: [[String: JSONValue]]],
        providerChanges: [String: [ActivityChange]] = [:],
        emitted: [String: Set<String>] = [:],
        correlations: [String: Correlation] = [:]
    ) {
        self.due = due
        self.messages = messages
        self.providerChanges = providerChanges
        self.emitted = emitted
        self.correlations = correlations
    }

    /// The jobs, emitted types and next looks. Each change becomes the envelope the webhook of that
    /// change would be, mapped by `FeedbackEvent.make`: same event name, same `messageId`, same dedupe
    /// key, so a webhook and a poll of one change make one Segment event, whichever comes first.
    package func plan(policy: PollPolicy, names: FeedbackNames, libraryVersion: String, now: Date) -> PollCommit {
        var commit = PollCommit()
        for follow in due {
            let transactionId = follow.transactionId
            let cause = correlations[transactionId]
            for message in messages[transactionId] ?? [] {
                guard let messageId = message["_id"]?.stringValue else { continue }
                let before = emitted[messageId] ?? []
                var changes = ActivityChange.changes(message: message, emitted: before)
                for change in providerChanges[messageId] ?? [] where !before.contains(change.type) {
                    // A provider's delivery and Novu's `deliveredAt` are one change.
                    if !changes.contains(where: { $0.type == change.type }) { changes.append(change) }
                }
                guard !changes.isEmpty else { continue }
                for change in changes {
                    let envelope = Self.envelope(change, message: message, environmentId: environmentId, fallbackSubscriber: cause?.userId)
                    guard let webhook = NovuWebhook(json: envelope) else { continue }
                    let outcome = FeedbackEvent.make(webhook, names: names, cause: cause, libraryVersion: libraryVersion)
                    if var job = NovuIngest.job(for: outcome, webhookId: nil, body: envelope.encodedBytes()) {
                        job.step = FunnelStep(webhook: webhook, keepingUser: recordsUsers, now: now)
                        commit.jobs.append(job)
                    }
                }
                commit.emitted[messageId] = (transactionId, before.union(changes.map(\.type)))
            }
            guard !unfinished.contains(transactionId) else { continue }
            let next: FollowLook.Next =
                beyondRetention.contains(transactionId)
                ? .end(reason: "retention") : policy.next(since: follow.since, looks: follow.looks + 1, now: now)
            commit.looks.append(FollowLook(transactionId: transactionId, next: next))
        }
        return commit
    }

    static let keptFields: Set<String> = [
        "_id", "_environmentId", "_jobId", "_notificationId", "subscriberId", "templateIdentifier", "workflowId",
        "stepId", "transactionId", "channel", "providerId", "status", "errorText", "errorId", "createdAt",
        "updatedAt", "deliveredAt", "lastSeenDate", "lastReadDate", "seen", "read",
    ]

    /// Only what the mapper and the matching of provider events read: a message from the activity API
    /// carries its whole rendered content (an email's HTML), and a round holds up to 100 transactions'.
    package static func trimmed(_ message: [String: JSONValue]) -> [String: JSONValue] {
        var object = message.filter { keptFields.contains($0.key) }
        if let subscriber = message["subscriber"]?["subscriberId"] { object["subscriber"] = ["subscriberId": subscriber] }
        return object
    }

    /// The webhook envelope Novu would send for `change` of `message`.
    static func envelope(
        _ change: ActivityChange,
        message: [String: JSONValue],
        environmentId: String?,
        fallbackSubscriber: String?
    ) -> JSONValue {
        var object = trimmed(message)
        // The activity API names the subscriber inside `subscriber` (or only by Novu's internal id); the
        // bridge triggered this transaction for one user, whose id it recorded.
        if object["subscriberId"]?.stringValue == nil, object["subscriber"]?["subscriberId"]?.stringValue == nil,
            let fallbackSubscriber
        {
            object["subscriberId"] = .string(fallbackSubscriber)
        }
        var data: [String: JSONValue] = ["object": .object(object)]
        if let link = change.link { data[ActivityChange.linkKey] = .string(link) }
        var envelope: [String: JSONValue] = ["type": .string(change.type), "object": "message", "data": .object(data)]
        if let at = change.at { envelope["timestamp"] = .string(at) }
        if let environmentId { envelope["environmentId"] = .string(environmentId) }
        return .object(envelope)
    }
}
