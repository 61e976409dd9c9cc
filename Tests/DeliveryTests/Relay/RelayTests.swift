import Delivery
import Foundation
import Logging
import TestSupport
import Testing

/// How the relay turns a destination's verdict into the job's fate and the destination's state.
@Suite("Relay settlements")
struct RelayTests {
    func relay(maxRetryAge: Duration = .seconds(3600), logger: Logger = Logger(label: "test")) -> Relay {
        var configuration = Relay.Configuration()
        configuration.maxRetryAge = maxRetryAge
        configuration.holdProbeInterval = .seconds(60)
        return Relay(store: InMemoryStore(), destinations: [], configuration: configuration, logger: logger, random: { 0.5 })
    }

    let now = Date(timeIntervalSince1970: 1_800_000_000)
    var job: ClaimedJob { ClaimedJob(id: 7, destination: "novu", orderingKey: "u", kind: "trigger", payload: Data(), attempts: 2) }

    @Test("success delivers (or settles dry run) and lifts a hold")
    func success() {
        let relay = relay()
        relay.status.update("novu") { $0.held = true }
        #expect(
            relay.settlement(
                for: job,
                result: AttemptResult(.delivered(), reason: "delivered", answer: .init(status: 201)),
                destination: "novu",
                now: now
            ).outcome == .delivered
        )
        #expect(!relay.status.destination("novu").held)
        #expect(
            relay.settlement(
                for: job,
                result: AttemptResult(.dryRun, reason: "dry run"),
                destination: "novu",
                now: now
            ).outcome == .dryRun
        )
    }

    @Test("retry backs off from the attempt count, with Retry-After as a floor")
    func retry() {
        let relay = relay()
        let plain = relay.settlement(
            for: job,
            result: AttemptResult(.retry, reason: "HTTP 500", answer: .init(status: 500)),
            destination: "novu",
            now: now
        )
        #expect(plain.outcome == .retry(at: now.addingTimeInterval(4)))  // third attempt failed: 1 s × 2²
        #expect(plain.attempt?.status == 500)
        let floor = now.addingTimeInterval(30)
        let later = relay.settlement(
            for: job,
            result: AttemptResult(.retry, reason: "HTTP 503", answer: .init(status: 503, retryAfter: floor)),
            destination: "novu",
            now: now
        )
        #expect(later.outcome == .retry(at: floor))
        // A 503 with Retry-After pauses the whole destination.
        #expect(relay.status.destination("novu").pausedUntil == floor)
    }

    @Test("an outage is logged once when it starts and once when delivery resumes, not per attempt")
    func failingLogged() {
        let recorder = RecordingLogHandler.Recorder()
        let relay = relay(logger: recorder.logger())
        let failures = [(503, "HTTP 503"), (nil, "connection refused"), (429, "HTTP 429")]
        for (status, reason) in failures {
            _ = relay.settlement(
                for: job,
                result: AttemptResult(.retry, reason: reason, answer: status.map { .init(status: $0) }),
                destination: "novu",
                now: now
            )
        }
        let delivered = AttemptResult(.delivered(), reason: "delivered", answer: .init(status: 201))
        _ = relay.settlement(for: job, result: delivered, destination: "novu", now: now)
        _ = relay.settlement(for: job, result: delivered, destination: "novu", now: now)
        let logged = recorder.logged.filter { $0.level >= .notice }
        #expect(logged.map(\.message) == ["novu is failing: events are retried with backoff, not dropped", "destination delivers again"])
        #expect(logged.first?.level == .warning)
        #expect(logged.first?.metadata["status"] == "503")
        #expect(logged.first?.metadata["reason"] == "HTTP 503")
        #expect(!relay.status.destination("novu").failing)
    }

    @Test("a 429 pauses the destination even without Retry-After")
    func tooManyRequests() {
        let relay = relay()
        let settlement = relay.settlement(
            for: job,
            result: AttemptResult(.retry, reason: "HTTP 429", answer: .init(status: 429)),
            destination: "novu",
            now: now
        )
        guard case .retry(let at) = settlement.outcome else {
            Issue.record("expected a retry")
            return
        }
        #expect(relay.status.destination("novu").pausedUntil == at)
    }

    @Test("past the give-up age a retry becomes an expired dead letter")
    func expiry() {
        let relay = relay(maxRetryAge: .seconds(60))
        var old = job
        old.firstAttemptAt = now.addingTimeInterval(-61)
        let settlement = relay.settlement(
            for: old,
            result: AttemptResult(.retry, reason: "HTTP 500", answer: .init(status: 500)),
            destination: "novu",
            now: now
        )
        #expect(settlement.outcome == .deadLetter(reason: "expired"))
    }

    @Test("a hold keeps the job, pauses the destination for one probe interval and marks it held")
    func hold() {
        let relay = relay()
        let settlement = relay.settlement(
            for: job,
            result: AttemptResult(.hold, reason: "HTTP 401", answer: .init(status: 401)),
            destination: "novu",
            now: now
        )
        #expect(settlement.outcome == .hold(until: now.addingTimeInterval(60)))
        let state = relay.status.destination("novu")
        #expect(state.held)
        #expect(state.pausedUntil == now.addingTimeInterval(60))
        #expect(state.holdReason?.contains("(401)") == true)
    }

    @Test("a probe answered with a payload error (422) lifts the hold: the credentials work again")
    func holdLiftedByPayloadError() {
        let relay = relay()
        _ = relay.settlement(
            for: job,
            result: AttemptResult(.hold, reason: "HTTP 401", answer: .init(status: 401)),
            destination: "novu",
            now: now
        )
        #expect(relay.status.destination("novu").held)
        // A local refusal (no answer) says nothing about the credentials.
        _ = relay.settlement(
            for: job,
            result: AttemptResult(.refused, reason: "request body over 512 KB"),
            destination: "novu",
            now: now
        )
        #expect(relay.status.destination("novu").held)
        let dead = relay.settlement(
            for: job,
            result: AttemptResult(.refused, reason: "HTTP 422", answer: .init(status: 422)),
            destination: "novu",
            now: now
        )
        #expect(dead.outcome == .deadLetter(reason: "HTTP 422"))
        #expect(!relay.status.destination("novu").held)
        #expect(relay.status.destination("novu").holdReason == nil)
    }

    @Test("permanent failures dead-letter with the destination's reason; cancelled sends are released")
    func permanentAndCancelled() {
        let relay = relay()
        let dead = relay.settlement(
            for: job,
            result: AttemptResult(.refused, reason: "HTTP 422", answer: .init(status: 422, excerpt: "bad")),
            destination: "novu",
            now: now
        )
        #expect(dead.outcome == .deadLetter(reason: "HTTP 422"))
        #expect(dead.attempt?.response == "bad")
        let cancelled = relay.settlement(
            for: job,
            result: AttemptResult(.abandoned, reason: "cancelled"),
            destination: "novu",
            now: now
        )
        #expect(cancelled.outcome == .release)
        #expect(cancelled.attempt == nil)
    }

    @Test("a failed attempt keeps at most the first 64 KiB of its request")
    func longRequestClipped() {
        let job = ClaimedJob(id: 1, destination: "novu", orderingKey: "u", kind: "trigger", payload: Data())
        let long = "POST /v1/events/trigger\n\n" + String(repeating: "x", count: 300_000)
        let long503 = AttemptResult(.retry, reason: "HTTP 503", answer: .init(status: 503), request: long)
        let kept = try? #require(relay().settlement(for: job, result: long503, destination: "novu", now: Date()).attempt?.request)
        #expect(kept?.hasPrefix("POST /v1/events/trigger\n\nxxx") == true)
        #expect(kept?.hasSuffix("… (the first 64 KiB of \(long.utf8.count) bytes)") == true)
        #expect((kept?.utf8.count ?? .max) < 66 * 1024)
        let short = AttemptResult(.retry, reason: "HTTP 503", answer: .init(status: 503), request: "GET /x")
        #expect(relay().settlement(for: job, result: short, destination: "novu", now: Date()).attempt?.request == "GET /x")
    }

    @Test("a split (a bulk refused as a whole) is retried at once, even past the give-up age; a plain retry expires")
    func splitIsNotExpired() {
        var old = job
        old.firstAttemptAt = now.addingTimeInterval(-7200)
        let relay = relay(maxRetryAge: .seconds(3600))
        let split = AttemptResult(.split, reason: "bulk request refused (HTTP 400)", answer: .init(status: 400))
        #expect(relay.settlement(for: old, result: split, destination: "novu", now: now).outcome == .retry(at: now))
        let plain = AttemptResult(.retry, reason: "HTTP 503", answer: .init(status: 503))
        #expect(relay.settlement(for: old, result: plain, destination: "novu", now: now).outcome == .deadLetter(reason: "expired"))
    }

    @Test("RateLimit-Remaining: 0 pauses the destination whatever the job's fate")
    func rateLimitPause() {
        let relay = relay()
        let until = now.addingTimeInterval(5)
        _ = relay.settlement(
            for: job,
            result: AttemptResult(.delivered(), reason: "delivered", answer: .init(status: 201), pauseUntil: until),
            destination: "novu",
            now: now
        )
        #expect(relay.status.destination("novu").pausedUntil == until)
    }
}
