import Delivery
import Foundation
import Inbound
import Logging
import Outbound

/// `make bench-store`: the ingest path without HTTP — parse, map, group commit into a real store —
/// measured in one process, where wrk, the sinks and the ceiling do not share the CPU. Logs wall time
/// and CPU per event for single events from 32 concurrent callers (how HTTP requests reach the group
/// commit) and for batches of 100. messageIds are random UUIDs, as Segment's are, so each event's keys
/// land far apart in their indexes, as they do in production. CPU per event counts the whole process:
/// building the request bodies too (a few µs), and the kernel's writes and flushes.
/// Then the relay's side: claiming and settling all of them in rounds of 100. Then the novu port's:
/// signed Novu webhooks (signed before the clock starts) verified, mapped and committed, from 32 callers.
/// Usage: BenchStore DATA_DIR [SINGLE_EVENTS] [BATCHES] [WEBHOOKS]
@main
struct BenchStore {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let directory = arguments.first else {
            FileHandle.standardError.write(Data("usage: BenchStore DATA_DIR [SINGLE_EVENTS] [BATCHES]\n".utf8))
            exit(64)
        }
        let singles = arguments.count > 1 ? Int(arguments[1]) ?? 40_000 : 40_000
        let batches = arguments.count > 2 ? Int(arguments[2]) ?? 600 : 600
        let webhooks = arguments.count > 3 ? Int(arguments[3]) ?? 40_000 : 40_000
        let logger = Logger(label: "bench-store")
        let store = try SQLiteStore(directory: directory)
        let ingest = SegmentIngest(configuration: .init(), mapper: SegmentMapper(), intake: Intake(store: store), logger: logger)
        try await measure("single events, 32 concurrent callers", events: singles, logger: logger) {
            try await run(ingest, callers: 32, requests: singles, eventsPerRequest: 1)
        }
        try await measure("batches of 100, one caller", events: batches * 100, logger: logger) {
            try await run(ingest, callers: 1, requests: batches, eventsPerRequest: 100)
        }
        try await measure("relay rounds: claim 100, settle them delivered", events: singles + batches * 100, logger: logger) {
            let settled = try await drain(store, destination: "novu")
            guard settled == singles + batches * 100 else {
                throw BenchError(description: "the relay settled \(settled) jobs, not \(singles + batches * 100)")
            }
        }
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let signed = try (0..<webhooks).map { try signedWebhook($0, secret: secret) }
        let novu = NovuIngest(
            configuration: .init(signature: try SvixSignature(secrets: [secret])),
            names: FeedbackNames(),
            intake: Intake(store: store),
            logger: logger
        )
        try await measure("signed webhooks, 32 concurrent callers", events: webhooks, logger: logger) {
            try await run(novu, callers: 32, webhooks: signed)
        }
        try await measure("relay rounds of the webhooks' events: claim 100, settle them delivered", events: webhooks, logger: logger) {
            let settled = try await drain(store, destination: "segment")
            guard settled == webhooks else { throw BenchError(description: "the relay settled \(settled) jobs, not \(webhooks)") }
        }
    }

    /// One request of the novu port: its body and Standard Webhooks headers.
    struct SignedWebhook: Sendable {
        var body: [UInt8]
        var headers: NovuIngest.Headers
    }

    /// The webhooks `bench/make-webhooks.py` writes: an email delivered to one of 1,000 subscribers, of a
    /// transaction this store never triggered.
    static func signedWebhook(_ n: Int, secret: String) throws -> SignedWebhook {
        let id = UUID().uuidString.lowercased()
        let body = Array(
            (#"{"id":"evt_\#(id)","type":"message.delivered","object":"message","timestamp":"2026-11-28T10:00:05.000Z","#
                + #""environmentId":"bench","data":{"object":{"_id":"\#(id)","subscriberId":"user-\#(n % 1000)","#
                + #""workflowId":"bench-workflow","stepId":"email-step","transactionId":"seg-bench-\#(n)","channel":"email","#
                + #""providerId":"sendgrid","status":"sent"}}}"#).utf8
        )
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let signature = try SvixSignature.sign(secret: secret, id: "msg_" + id, timestamp: timestamp, body: body)
        return SignedWebhook(body: body, headers: .init(id: "msg_" + id, timestamp: timestamp, signature: signature))
    }

    /// `webhooks` spread over `callers` tasks, each answered before its caller sends the next.
    static func run(_ ingest: NovuIngest, callers: Int, webhooks: [SignedWebhook]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    for index in stride(from: caller, to: webhooks.count, by: callers) {
                        let answer = await ingest.handle(body: webhooks[index].body, headers: webhooks[index].headers)
                        guard answer.status == 200 else { throw BenchError(description: "the novu port answered \(answer.status)") }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// `requests` requests of `eventsPerRequest` seed-convention track events, spread over `callers` tasks.
    static func run(_ ingest: SegmentIngest, callers: Int, requests: Int, eventsPerRequest: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    for request in stride(from: caller, to: requests, by: callers) {
                        let events = (0..<eventsPerRequest).map { index in
                            event(user: "user-\((request * eventsPerRequest + index) % 1000)")
                        }
                        let body = Array((eventsPerRequest == 1 ? events[0] : "[" + events.joined(separator: ",") + "]").utf8)
                        let answer = await ingest.handle(route: .webhook, body: body, signature: nil, authorization: nil)
                        guard answer.status == 200 else { throw BenchError(description: "ingest answered \(answer.status)") }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// The relay's store work for every event queued above, as a lane does it with bulk triggers: claim
    /// up to 100 due heads, settle them delivered (which makes each user's next job the head), repeat.
    /// Returns how many jobs it settled.
    static func drain(_ store: SQLiteStore, destination: String) async throws -> Int {
        var settled = 0
        while true {
            let jobs = try await store.claim(destination: destination, limit: 100, now: Date().addingTimeInterval(60))
            if jobs.isEmpty { return settled }
            settled += jobs.count
            let at = Date()
            try await store.settle(
                jobs.map { Settlement(jobId: $0.id, outcome: .delivered, attempt: AttemptRecord(at: at, status: 201, reason: "delivered")) }
            )
        }
    }

    static func event(user: String) -> String {
        #"{"type":"track","event":"User Abandoned Cart","messageId":"\#(UUID().uuidString.lowercased())","userId":"\#(user)","#
            + #""timestamp":"2026-11-28T09:14:03.512Z","context":{"library":{"name":"analytics.js","version":"next-1.70.0"}},"#
            + #""properties":{"name":"abandoned-cart-recovery-workflow","user":{"subscriberId":"\#(user)","firstName":"John","#
            + #""lastName":"Doe"},"environment":"development","cart":{"items":3,"value":129.5}}}"#
    }

    /// Runs `body` and logs its wall time, events per second and CPU per event; skips a run of no events
    /// (`BenchStore DIR 0 0 40000` measures webhooks alone).
    static func measure(_ name: String, events: Int, logger: Logger, _ body: @Sendable () async throws -> Void) async throws {
        guard events > 0 else { return }
        let cpuBefore = cpuSeconds()
        let started = ContinuousClock.now
        try await body()
        let wall = ContinuousClock.now - started
        let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        let cpu = cpuSeconds() - cpuBefore
        logger.notice(
            "measured",
            metadata: [
                "run": "\(name)", "events": "\(events)", "wall_seconds": "\(String(format: "%.2f", seconds))",
                "events_per_second": "\(Int((Double(events) / seconds).rounded()))",
                "cpu_us_per_event": "\(String(format: "%.1f", cpu / Double(events) * 1e6))",
            ]
        )
    }

    /// User and system CPU time of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
}
