import Delivery
import Testing

@Suite("Requests a destination does not send")
struct NotSendingTests {
    @Test("a dry run logs the request once and settles each job as dry_run; a missing credential holds each")
    func results() {
        var logged = 0
        #expect(NotSending.results(nil, count: 3, missing: "KEY", logDryRun: { logged += 1 }) == nil)
        let dry = NotSending.results(.dryRun, count: 3, missing: "KEY", attemptKey: "k1", logDryRun: { logged += 1 })
        #expect(dry?.map(\.verdict) == [.dryRun, .dryRun, .dryRun])
        #expect(dry?.map(\.attemptKey) == ["k1", "k1", "k1"])
        #expect(logged == 1)
        let held = NotSending.results(.missingCredential, count: 2, missing: "NOVU_API_KEY", logDryRun: { logged += 1 })
        #expect(held?.map(\.verdict) == [.hold, .hold])
        #expect(held?.allSatisfy { $0.reason.hasPrefix("NOVU_API_KEY is not set") } == true)
        #expect(logged == 1)
        #expect(NotSending.decide(credential: nil, dryRun: true) == .dryRun)
        #expect(NotSending.decide(credential: nil, dryRun: false) == .missingCredential)
        #expect(NotSending.decide(credential: "k", dryRun: false) == nil)
    }
}
