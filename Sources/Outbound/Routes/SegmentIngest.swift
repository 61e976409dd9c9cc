import Delivery
import Foundation
import FrontDoor
import JSON
import Logging
import Metrics

/// The segment port's pipeline, free of HTTP types: authenticate, parse, map, commit, answer.
package struct SegmentIngest: Sendable {
    /// Which route the body came in on.
    package enum Route: Sendable, Equatable {
        /// `POST /` and `/segment`: a Webhooks destination body (an event or an array of them).
        case webhook
        /// `POST /v1/<type>`: one event of that type.
        case single(type: String)
        /// `POST /v1/batch` and `/v1/import`.
        case batch
    }

    /// Settings of the segment port.
    package struct Configuration: Sendable {
        /// `SEGMENT_SHARED_SECRET` (several for rotation): when set, webhook bodies must carry a valid
        /// `X-Signature` under one of them.
        package var sharedSecrets: [String] = []
        /// `SEGMENT_AUTH_TOKEN` (several for rotation): when set, webhook requests must carry
        /// `Authorization: Bearer <token>`, checked before the body is read.
        package var authTokens: [String] = []
        /// `BRIDGE_WRITE_KEYS`: when not empty, `/v1/*` requests must carry one of them.
        package var writeKeys: Set<String> = []
        /// `BRIDGE_ALLOW_UNAUTHENTICATED=1`: routes without authentication take requests from anyone.
        package var allowUnauthenticated = false
        /// Set when Novu is not configured (no `NOVU_API_KEY`, no dry run): every event request is
        /// answered `503 NotConfigured` with this sentence, so Segment keeps it and retries.
        package var notConfigured: String?
        /// Largest accepted body, after decompression.
        package var bodyLimit = 8 * 1024 * 1024
        /// Largest total of the bodies of all requests in flight on the port (see `BodyBudget`).
        package var bodiesInFlightLimit = 128 * 1024 * 1024
        /// How long a body may take to arrive (`BRIDGE_BODY_TIMEOUT`).
        package var bodyTimeout: Duration = .seconds(10)
        /// Events whose `context.library.name` is this came from the bridge itself and are ignored.
        package var libraryName = "novu-segment-bridge"
        /// Event names that are conversion goals (the mapping file's `conversions:`): a track event with
        /// one of them is also queued for attribution, in the same commit.
        package var goals: Set<String> = []

        package init(sharedSecret: String? = nil, writeKeys: Set<String> = []) {
            self.sharedSecrets = sharedSecret.map { [$0] } ?? []
            self.writeKeys = writeKeys
        }
    }

    package typealias Answer = IngestAnswer

    let configuration: Configuration
    /// `writeKeys`, compared in constant time.
    let writeKeyList: Credentials
    let mapper: SegmentMapper
    let intake: Intake
    let logger: Logger
    let refusal: StoreRefusal

    package init(configuration: Configuration, mapper: SegmentMapper, intake: Intake, logger: Logger) {
        self.configuration = configuration
        self.writeKeyList = Credentials(configuration.writeKeys)
        self.mapper = mapper
        self.intake = intake
        self.logger = logger
        self.refusal = StoreRefusal(sender: "Segment", logger: logger)
    }

    private static let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]

    /// Handles one request body. `signature` is `X-Signature`, `authorization` the `Authorization` header.
    package func handle(route: Route, body: [UInt8], signature: String?, authorization: String?) async -> Answer {
        // What the headers could tell was checked before the body was read (`gate(for:)`); what only
        // the body can tell is checked here, before the body is parsed into a tree.
        var binding: KeyBinding?
        switch authenticate(route: route, body: body, signature: signature, authorization: authorization) {
        case .refused(let refused):
            count("unauthorized", type: "unknown")
            return refused
        case .passed(let bound):
            binding = bound
        }
        let document: JSONValue
        let ranges: [Range<Int>]?
        do {
            (document, ranges) = try JSONValue.parseWithElementRanges(body)
        } catch {
            // DESIGN §3: `415` for a body that is not JSON at all; one that starts as a JSON object or
            // array and breaks off is malformed JSON, `400`.
            guard let first = body.first(where: { !Self.whitespace.contains($0) }), first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
            else {
                return .error(415, "UnsupportedMediaType", "the body is not JSON: send one Segment event object or an array of them")
            }
            return .error(400, "InvalidJSON", "the body is not valid JSON")
        }
        let (items, single): ([JSONValue], Bool)
        // The bytes of each event as sent, kept with its job for the dead-letter queue; nil where the
        // event is changed on the way (batch context merged in) and must be written anew.
        var raw: [ArraySlice<UInt8>?] = []
        switch (route, document) {
        case (.webhook, .array(let events)):
            (items, single) = (events, false)
            raw = ranges?.map { body[$0] } ?? []
        case (.webhook, .object), (.single, .object):
            (items, single) = ([document], true)
            raw = [body[...]]
        case (.batch, .object(let envelope)):
            guard let batch = envelope["batch"]?.arrayValue else {
                return .error(400, "InvalidEventPayload", "batch must be an array of events")
            }
            items = batch.map { Self.merge($0, context: envelope["context"], integrations: envelope["integrations"]) }
            single = false
        default:
            return .error(
                400,
                "InvalidEventPayload",
                route == .webhook
                    ? "the body must be an event object or an array of events" : "the body must be an event object"
            )
        }
        return await ingest(items, raw: raw, route: route, single: single, binding: binding)
    }

    private func ingest(
        _ items: [JSONValue],
        raw: [ArraySlice<UInt8>?],
        route: Route,
        single: Bool,
        binding: KeyBinding?
    ) async -> Answer {
        var jobs: [NewJob] = []
        var jobTypes: [String] = []
        // Queued after the jobs, in the same commit; not counted as items of their own.
        var goals: [NewJob] = []
        var ignored = 0
        var rejections = Rejections()
        // Counted once per request and outcome, not once per event: a batch holds hundreds.
        var tally = Tally()
        defer { tally.flush() }
        for (index, item) in items.enumerated() {
            let verdict = judge(item, raw: index < raw.count ? raw[index] : nil, route: route, single: single, tally: &tally)
            if let goal = verdict.goal { goals.append(goal) }
            switch verdict.verdict {
            case .rejected(let reason, let type):
                tally.add("rejected", type: type)
                if single { return .error(400, "InvalidEventPayload", reason) }
                rejections.add(index: index, reason)
            case .ignored(let reason, let type):
                ignored += 1
                tally.add("ignored", type: type, reason: reason)
            case .queued(let job, let type):
                jobs.append(job)
                jobTypes.append(type)
            }
        }
        let results: [EnqueueResult]
        do {
            results = try await intake.submit(jobs + goals, binding: binding)
        } catch is BindingConflict {
            count("unauthorized", type: "unknown")
            return Self.signatureReplayed
        } catch {
            return refusal.answer(error)
        }
        return Self.summary(of: zip(jobTypes, results), ignored: ignored, rejections: rejections, tally: &tally)
    }

    /// The `200` answer: what was accepted, duplicate, ignored and rejected, counted by type.
    private static func summary(
        of queued: Zip2Sequence<[String], [EnqueueResult]>,
        ignored: Int,
        rejections: Rejections,
        tally: inout Tally
    ) -> Answer {
        var accepted = 0
        var duplicates = 0
        for (type, result) in queued {
            if case .accepted = result { accepted += 1 } else { duplicates += 1 }
            tally.add(result == .duplicate ? "duplicate" : "accepted", type: type)
        }
        var body: [String: JSONValue] = [
            "accepted": .int(Int64(accepted)), "duplicates": .int(Int64(duplicates)),
            "ignored": .int(Int64(ignored)), "rejected": .array(rejections.listed),
        ]
        if rejections.total > rejections.listed.count { body["rejectedTotal"] = .int(Int64(rejections.total)) }
        return Answer(status: 200, body: .object(body))
    }

    /// The queued job for a Novu call made of the Segment event `messageId`.
    ///
    /// A trigger's correlation records its `transactionId`, which is made of the messageId alone, so the
    /// store recognises a repeated trigger by it and the job carries no dedupe key: one index entry per
    /// event instead of two, each a page the commit writes (see decisions.md). Other calls (subscriber
    /// and topic updates) have no correlation and are recognised by `segment:<messageId>`.
    package static func job(
        _ call: NovuCall,
        orderingKey: String,
        correlation: Correlation?,
        event: Data,
        messageId: String
    )
        -> NewJob
    {
        NewJob(
            destination: "novu",
            orderingKey: orderingKey,
            kind: call.operation.rawValue,
            payload: call.encoded(),
            event: event,
            dedupeKeys: correlation == nil ? ["segment:" + messageId] : [],
            correlation: correlation
        )
    }

    /// A batch's top-level `context` and `integrations` go into each item; the item's own keys win.
    static func merge(_ item: JSONValue, context: JSONValue?, integrations: JSONValue?) -> JSONValue {
        guard var fields = item.objectValue else { return item }
        for (key, shared) in [("context", context), ("integrations", integrations)] {
            guard let shared = shared?.objectValue else { continue }
            let own = fields[key]?.objectValue ?? [:]
            fields[key] = .object(shared.merging(own) { _, mine in mine })
        }
        return .object(fields)
    }

    /// Event counts of one request, by outcome and type, added to `bridge_events_total` at the end;
    /// ignored events also to `bridge_events_ignored_total`, by reason.
    struct Tally {
        private struct Key: Hashable {
            var outcome: String
            var type: String
            var reason: String?
        }
        private var counts: [Key: Int64] = [:]

        mutating func add(_ outcome: String, type: String, reason: String? = nil) {
            counts[Key(outcome: outcome, type: type, reason: reason), default: 0] += 1
        }

        func flush() {
            for (key, amount) in counts {
                CounterCache.events.increment([("port", "segment"), ("type", key.type), ("outcome", key.outcome)], by: amount)
                if let reason = key.reason {
                    CounterCache.ignored.increment([("port", "segment"), ("type", key.type), ("reason", reason)], by: amount)
                }
            }
        }
    }

    func count(_ outcome: String, type: String) {
        CounterCache.events.increment([("port", "segment"), ("type", type), ("outcome", outcome)])
    }
}
