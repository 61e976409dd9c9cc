import Delivery
import Foundation
import Testing

@testable import bridge

/// Every condition `bridge doctor` reports (DESIGN §10), judged from facts without I/O.
@Suite("Doctor checks")
struct DoctorChecksTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A healthy webhook setup: key valid in the environment the seed convention sends, endpoint enabled.
    static func healthy() -> DoctorFacts {
        var facts = DoctorFacts()
        facts.now = now
        facts.novuKey = .valid(environment: "Development", id: "env1")
        facts.webhookSecretSet = true
        facts.wantedTypes = ["message.sent", "message.delivered"]
        facts.webhook = .found(
            url: "https://b.example/webhooks/novu",
            disabled: false,
            filterTypes: ["message.sent", "message.delivered"],
            recentFailures: 0
        )
        facts.feedback = FeedbackFigures(
            triggersDelivered: 3,
            lastWebhookAt: now.addingTimeInterval(-60),
            feedback: ["message.sent/email": 3, "message.delivered/email": 3]
        )
        facts.follows = FollowFigures()
        return facts
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var change: @Sendable (inout DoctorFacts) -> Void
        var check: String
        var severity: DoctorFinding.Severity
        var says: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "key not set", change: { $0.novuKey = .notSet }, check: "novu key", severity: .error, says: "NOVU_API_KEY is not set"),
        Case(
            name: "key refused",
            change: { $0.novuKey = .refused(status: 401) },
            check: "novu key",
            severity: .error,
            says: "refused NOVU_API_KEY (401)"
        ),
        Case(
            name: "Novu unreachable",
            change: { $0.novuKey = .unreachable("Connection refused") },
            check: "novu key",
            severity: .error,
            says: "could not be reached"
        ),
        Case(name: "key valid", change: { _ in }, check: "novu key", severity: .ok, says: "belongs to the Development environment (env1)"),
        Case(
            name: "environment differs from BRIDGE_ENVIRONMENT",
            change: { $0.novuKey = .valid(environment: "Production", id: "env2") },
            check: "environment",
            severity: .warning,
            says: "BRIDGE_ENVIRONMENT is development but NOVU_API_KEY belongs to Novu's Production"
        ),
        Case(
            name: "no endpoint while webhooks are expected",
            change: { $0.webhook = .missing(url: "https://b.example/webhooks/novu") },
            check: "webhook",
            severity: .error,
            says: "no webhook endpoint in Novu points at https://b.example/webhooks/novu"
        ),
        Case(
            name: "endpoint disabled",
            change: { $0.webhook = .found(url: "u", disabled: true, filterTypes: nil, recentFailures: 0) },
            check: "webhook",
            severity: .error,
            says: "is disabled"
        ),
        Case(
            name: "endpoint filter misses a mapped type",
            change: { $0.webhook = .found(url: "u", disabled: false, filterTypes: ["message.sent"], recentFailures: 0) },
            check: "webhook",
            severity: .warning,
            says: "does not send message.delivered"
        ),
        Case(
            name: "endpoint failing",
            change: { $0.webhook = .found(url: "u", disabled: false, filterTypes: nil, recentFailures: 4) },
            check: "webhook",
            severity: .warning,
            says: "4 recent deliveries"
        ),
        Case(
            name: "endpoint registered, secret not set",
            change: {
                $0.webhookSecretSet = false
                $0.pollEnabled = true
            },
            check: "webhook",
            severity: .warning,
            says: "NOVU_WEBHOOK_SECRET is not set"
        ),
        Case(
            name: "endpoint unreadable while webhooks are expected",
            change: { $0.webhook = .failed("Svix GET endpoint: HTTP 500") },
            check: "webhook",
            severity: .warning,
            says: "could not be read (Svix GET endpoint: HTTP 500)"
        ),
        Case(name: "endpoint healthy", change: { _ in }, check: "webhook", severity: .ok, says: "is enabled and sends every type"),
        Case(
            name: "no feedback source at all",
            change: {
                $0.webhookSecretSet = false
                $0.webhook = .notChecked("no --url")
            },
            check: "poller",
            severity: .warning,
            says: "no feedback source"
        ),
        Case(
            name: "poller on",
            change: {
                $0.pollEnabled = true
                $0.follows = FollowFigures(followed: 7)
            },
            check: "poller",
            severity: .ok,
            says: "7 transactions followed"
        ),
        Case(
            name: "poller stopped at the plan's retention",
            change: {
                $0.pollEnabled = true
                $0.follows = FollowFigures(followed: 1, ended: ["retention": 2])
            },
            check: "poller",
            severity: .warning,
            says: "2 transactions stopped being followed at Novu's activity retention"
        ),
        Case(
            name: "emails sent, none delivered or seen",
            change: { $0.feedback?.feedback = ["message.sent/email": 12, "message.sent/sms": 1, "message.delivered/sms": 1] },
            check: "email tracking",
            severity: .warning,
            says: "enable Email Activity Tracking on the email integration in Novu"
        ),
        Case(
            name: "triggers succeed, no webhook for 24 h",
            change: { $0.feedback?.lastWebhookAt = now.addingTimeInterval(-90000) },
            check: "webhook traffic",
            severity: .warning,
            says: "no webhook has arrived for 24 h"
        ),
        Case(
            name: "triggers succeed, no webhook ever",
            change: { $0.feedback?.lastWebhookAt = nil },
            check: "webhook traffic",
            severity: .warning,
            says: "3 triggers succeeded"
        ),
        Case(
            name: "store unreadable",
            change: {
                $0.feedback = nil
                $0.storeProblem = "no store at ./data/bridge.sqlite"
            },
            check: "store",
            severity: .error,
            says: "no store at ./data/bridge.sqlite"
        ),
    ]

    @Test("each condition has its finding, with its advice", arguments: cases)
    func condition(_ row: Case) {
        var facts = Self.healthy()
        row.change(&facts)
        let findings = DoctorChecks.findings(facts)
        let matching = findings.filter { $0.check == row.check && $0.message.contains(row.says) }
        #expect(matching.map(\.severity) == [row.severity], "\(findings)")
    }

    @Test("a healthy setup says ok throughout and exits 0; the worst finding sets the exit code")
    func exitCodes() {
        let healthy = DoctorChecks.findings(Self.healthy())
        #expect(healthy.allSatisfy { $0.severity == .ok })
        #expect(DoctorFinding.exitCode(healthy) == 0)
        var warned = Self.healthy()
        warned.feedback?.lastWebhookAt = nil
        #expect(DoctorFinding.exitCode(DoctorChecks.findings(warned)) == 1)
        var failed = warned
        failed.novuKey = .refused(status: 401)
        #expect(DoctorFinding.exitCode(DoctorChecks.findings(failed)) == 2)
    }

    @Test("with webhooks not in use, a missing endpoint and silence are not findings")
    func pollerOnly() {
        var facts = Self.healthy()
        facts.webhookSecretSet = false
        facts.pollEnabled = true
        facts.webhook = .missing(url: "u")
        facts.feedback?.lastWebhookAt = nil
        #expect(DoctorChecks.findings(facts).allSatisfy { $0.severity == .ok })
        facts.webhook = .failed("Svix unreachable")
        #expect(DoctorChecks.findings(facts).allSatisfy { $0.severity == .ok })
    }
}
