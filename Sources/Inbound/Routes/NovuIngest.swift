import Delivery
import Foundation
import JSON
import Logging
import Metrics

/// The novu port's pipeline, free of HTTP types: verify, parse, dedupe, map, commit, answer.
package struct NovuIngest: Sendable {
    package struct Configuration: Sendable {
        /// The configured `NOVU_WEBHOOK_SECRET`s.
        package var signature: SvixSignature
        /// `BRIDGE_ACCEPT_UNSIGNED=1`: with no secret configured, accept unsigned requests (local testing).
        package var acceptUnsigned = false
        /// Largest accepted body.
        package var bodyLimit = 1024 * 1024
        /// Largest total of the bodies of all webhooks in flight on the port (see `BodyBudget`).
        package var bodiesInFlightLimit = 64 * 1024 * 1024
        /// How long a body may take to arrive (`BRIDGE_BODY_TIMEOUT`).
        package var bodyTimeout: Duration = .seconds(10)
        /// `BRIDGE_ALLOW_UNAUTHENTICATED=1`: with unsigned webhooks accepted, take them from anyone.
        package var allowUnauthenticated = false
        /// Set when Segment is not configured (no `SEGMENT_WRITE_KEY`, no dry run): every webhook is
        /// answered `503 NotConfigured` with this sentence, so Novu keeps it and retries.
        package var notConfigured: String?
        /// Announced in `context.library.version`.
        package var libraryVersion = "0.1.0"
        /// Conversions are configured: funnel steps keep their subscriber, for attribution to find.
        package var recordsUsers = false

        package init(signature: SvixSignature, acceptUnsigned: Bool = false) {
            self.signature = signature
            self.acceptUnsigned = acceptUnsigned
        }
    }

    /// The Standard Webhooks headers of one request.
    package struct Headers: Sendable {
        package var id: String?
        package var timestamp: String?
        package var signature: String?

        package init(id: String?, timestamp: String?, signature: String?) {
            self.id = id
            self.timestamp = timestamp
            self.signature = signature
        }
    }

    package typealias Answer = IngestAnswer

    let configuration: Configuration
    let names: FeedbackNames
    let intake: Intake
    let logger: Logger
    let refusal: StoreRefusal

    package init(configuration: Configuration, names: FeedbackNames, intake: Intake, logger: Logger) {
        self.configuration = configuration
        self.names = names
        self.intake = intake
        self.logger = logger
        self.refusal = StoreRefusal(sender: "Novu", logger: logger)
    }

    /// The answer to a request its headers alone condemn (no signature headers, a stale timestamp, no
    /// secret set and unsigned webhooks not accepted); `nil` when only its body can tell.
    package func refusal(headers: Headers, now: Date = Date()) -> Answer? {
        if configuration.signature.isConfigured {
            let verdict = configuration.signature.checkHeaders(
                id: headers.id,
                timestamp: headers.timestamp,
                signatures: headers.signature,
                now: now
            )
            guard let failure = verdict else { return nil }
            count("unauthorized", type: "unknown")
            return .error(401, "Unauthorized", failure.description)
        }
        guard !configuration.acceptUnsigned else { return nil }
        count("unauthorized", type: "unknown")
        return .error(
            401,
            "Unauthorized",
            "NOVU_WEBHOOK_SECRET is not set: set it to the signing secret (whsec_…) of the Novu webhook endpoint, "
                + "or BRIDGE_ACCEPT_UNSIGNED=1 for local testing"
        )
    }

    package func handle(body: [UInt8], headers: Headers, now: Date = Date()) async -> Answer {
        if let refused = refusal(body: body, headers: headers, now: now) { return refused }
        guard let json = try? JSONValue.parse(body) else { return .error(400, "InvalidJSON", "the body is not valid JSON") }
        guard let webhook = NovuWebhook(json: json) else {
            return .error(400, "InvalidWebhookPayload", "type is required: the body is not a Novu webhook envelope")
        }
        let label = Self.typeLabel(webhook.type)
        count("received", type: label)
        // Everything is decided here, before the store, but the link to the cause: the store links the
        // event to its transaction's cause in the commit that queues it (`NewJob.cause`).
        let outcome = FeedbackEvent.make(webhook, names: names, cause: nil, libraryVersion: configuration.libraryVersion)
        guard var job = Self.job(for: outcome, webhookId: headers.id, body: body) else {
            return ignored(outcome, webhook: webhook, label: label)
        }
        // Segment drops an event over 32 KB: refused, not acknowledged, so it is not lost quietly.
        let size = job.payload.count
        if size > SegmentDestination.maxEventBytes {
            count("rejected", type: label)
            return .error(
                413,
                "EventTooLarge",
                "the Segment event this webhook makes is \(size) bytes; Segment takes at most \(SegmentDestination.maxEventBytes) per event"
            )
        }
        // The funnel is of the notifications this bridge triggered (cohorts by trigger): the store records
        // the step only when the transaction has a cause; a message of another is sent, not counted.
        job.cause = webhook.message("transactionId")
        job.step = FunnelStep(webhook: webhook, keepingUser: configuration.recordsUsers)
        let result: EnqueueResult?
        do {
            result = try await intake.submit([job]).first
        } catch {
            return refusal.answer(error)
        }
        return committed(result, outcome: outcome, webhook: webhook, headers: headers, label: label)
    }

    /// The answer to a request its signature (with its headers) or the configuration condemns; `nil` to
    /// take it. The signature's check covers the headers' own, so they are checked once here.
    private func refusal(body: [UInt8], headers: Headers, now: Date) -> Answer? {
        guard configuration.signature.isConfigured else { return refusal(headers: headers, now: now) }
        let verdict = configuration.signature.verify(
            id: headers.id,
            timestamp: headers.timestamp,
            signatures: headers.signature,
            body: body,
            now: now
        )
        guard let failure = verdict else { return nil }
        count("unauthorized", type: "unknown")
        return .error(401, "Unauthorized", failure.description)
    }

    /// The answer to a webhook that makes no event (only an ignored outcome makes no job).
    private func ignored(_ outcome: FeedbackEvent.Outcome, webhook: NovuWebhook, label: String) -> Answer {
        count("ignored", type: label)
        if case .ignored(let reason) = outcome {
            CounterCache.ignored.increment([
                ("port", "novu"), ("type", label), ("reason", reason.hasPrefix("unsupported type") ? "unsupported type" : reason),
            ])
            logger.debug("webhook ignored", metadata: ["webhook.type": "\(webhook.type)", "reason": "\(reason)"])
        }
        return Self.ignored
    }

    /// The answer once the webhook's job is committed (or found a duplicate).
    private func committed(
        _ result: EnqueueResult?,
        outcome: FeedbackEvent.Outcome,
        webhook: NovuWebhook,
        headers: Headers,
        label: String
    ) -> Answer {
        if result == .duplicate {
            count("duplicate", type: label)
            return Self.duplicate
        }
        if case .undeliverable(_, _, let reason) = outcome {
            count("dead_lettered", type: label)
            logger.warning(
                "webhook dead-lettered",
                metadata: ["webhook.type": "\(webhook.type)", "webhook.id": "\(headers.id ?? "none")", "reason": "\(reason)"]
            )
            return Self.deadLettered
        }
        count("accepted", type: label)
        return Self.accepted
    }

    /// The job for an outcome: a Segment track call, or a dead letter for an event for no one.
    static func job(for outcome: FeedbackEvent.Outcome, webhookId: String?, body: [UInt8]) -> NewJob? {
        let (event, userId, messageId, deadLetterReason): (JSONValue, String?, String, String?)
        switch outcome {
        case .ignored: return nil
        case .track(let track, let user, let id): (event, userId, messageId, deadLetterReason) = (track, user, id, nil)
        case .undeliverable(let track, let id, let reason): (event, userId, messageId, deadLetterReason) = (track, nil, id, reason)
        }
        return NewJob(
            destination: "segment",
            orderingKey: userId,
            kind: "track",
            payload: event.encoded(),
            event: Data(body),
            dedupeKeys: (webhookId.map { ["novu-webhook:" + $0] } ?? []) + ["segment-message:" + messageId],
            deadLetterReason: deadLetterReason
        )
    }

    /// The four answers a webhook that is taken gets, `200 {"status": …}`, made once.
    private static let accepted = ok("accepted")
    private static let duplicate = ok("duplicate")
    private static let deadLettered = ok("dead_lettered")
    private static let ignored = ok("ignored")

    private static func ok(_ outcome: String) -> Answer { Answer(status: 200, body: ["status": .string(outcome)]) }

    /// The webhook types Novu sends, as metric labels. The label comes from the request, and each distinct
    /// value is a series of its own: a closed set keeps /metrics, and the process's memory, bounded even
    /// when unsigned webhooks are accepted. Others count as `message.other`, `workflow.other` or `other`.
    static let labelledTypes: Set<String> = [
        "message.sent", "message.delivered", "message.seen", "message.read", "message.failed", "message.unread",
        "message.archived", "message.unarchived", "message.snoozed", "message.unsnoozed", "message.deleted",
        "email.received",
    ]

    static func typeLabel(_ type: String) -> String {
        if labelledTypes.contains(type) { return type }
        if type.hasPrefix("message.") { return "message.other" }
        if type.hasPrefix("workflow.") { return "workflow.other" }
        return "other"
    }

    func count(_ outcome: String, type: String) {
        CounterCache.events.increment([("port", "novu"), ("type", type), ("outcome", outcome)])
    }
}
