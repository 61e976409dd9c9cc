import TestSupport
import Testing

@testable import Delivery

@Suite("Doorbell")
struct DoorbellTests {
    /// A ring is pending: the next wait must not sit out its (long) timeout.
    func expectWaitEndsAtOnce(_ bell: Doorbell) async {
        let start = ContinuousClock.now
        await bell.wait(timeout: .seconds(60))
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test("a ring wakes a waiter, and one rung with nobody waiting ends the next wait at once")
    func ringWakes() async throws {
        let bell = Doorbell()
        let waiter = Task { await bell.wait(timeout: .seconds(60)) }
        try await waitUntil("the lane waits") { bell.isWaiting }
        bell.ring()
        await waiter.value
        bell.ring()
        await expectWaitEndsAtOnce(bell)
    }

    @Test("a sleep lasts to its deadline through rings, which are kept for the next wait")
    func sleepIgnoresRings() async throws {
        let bell = Doorbell()
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(300)
        let sleeper = Task { await bell.sleep(until: deadline) }
        // Rung before or during the sleep (whichever comes first here): neither may end it.
        bell.ring()
        try await waitUntil("the lane sleeps or is done") { bell.isWaiting || ContinuousClock.now >= deadline }
        bell.ring()
        await sleeper.value
        #expect(ContinuousClock.now >= deadline)
        // The rings were not lost: the next wait returns at once.
        await expectWaitEndsAtOnce(bell)
    }

    @Test("interrupt ends a sleep early, and every later wait or sleep at once")
    func interruptEndsSleep() async throws {
        let bell = Doorbell()
        let start = ContinuousClock.now
        let sleeper = Task { await bell.sleep(until: start + .seconds(60)) }
        try await waitUntil("the lane sleeps") { bell.isWaiting }
        bell.interrupt()
        await sleeper.value
        // Bounded, so a bell that forgot the interrupt fails here rather than hanging the run.
        await bell.sleep(until: .now + .seconds(20))
        await bell.wait(timeout: .seconds(20))
        #expect(ContinuousClock.now - start < .seconds(15))
    }
}
