import Foundation

/// Notices when the wall clock is set back (an NTP step, an operator, a VM restored from a snapshot).
///
/// Due times are wall-clock times, because they outlive the process. A clock set back by an hour would
/// otherwise leave every queued event, and every retry, waiting an hour for the clock to catch up. The
/// watch compares the wall clock with the continuous clock, which is never set: their difference moves
/// only when the wall clock is set (NTP's slewing changes the rate of both).
struct ClockWatch: Sendable {
    /// Steps smaller than this are left alone: a second early or late changes nothing that matters.
    static let tolerance: TimeInterval = 1

    private let reference = ContinuousClock.now
    /// Wall-clock seconds minus continuous-clock seconds since `reference`, when last looked.
    private var offset: Double?
    /// Steps seen but not yet applied to the store (it refused the change): applied with the next one.
    private var owed: TimeInterval = 0

    /// How far the wall clock went back since the last look, plus what is still owed; `nil` when it did
    /// not (a step forward only makes due times come sooner). The caller applies it or gives it back.
    mutating func backwardStep(wall: Date, continuous: ContinuousClock.Instant = .now) -> TimeInterval? {
        let elapsed = continuous - reference
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let current = wall.timeIntervalSince1970 - seconds
        defer { offset = current }
        let step = (offset ?? current) - current
        if step >= Self.tolerance { owed += step }
        guard owed > 0 else { return nil }
        defer { owed = 0 }
        return owed
    }

    /// A step the store could not apply yet: returned again with the next look.
    mutating func giveBack(_ step: TimeInterval) {
        owed += step
    }
}
