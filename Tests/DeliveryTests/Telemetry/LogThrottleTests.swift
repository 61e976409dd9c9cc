import Delivery
import Testing

@Suite("Log throttle")
struct LogThrottleTests {
    @Test("the first line goes through, then one per interval with the count of those held back")
    func oncePerInterval() {
        let throttle = LogThrottle(interval: .seconds(10))
        let start = ContinuousClock.now
        #expect(throttle.admit(now: start) == 0)
        #expect(throttle.admit(now: start + .seconds(1)) == nil)
        #expect(throttle.admit(now: start + .seconds(9)) == nil)
        #expect(throttle.admit(now: start + .seconds(10)) == 2)
        #expect(throttle.admit(now: start + .seconds(11)) == nil)
        #expect(throttle.admit(now: start + .seconds(25)) == 1)
    }
}
