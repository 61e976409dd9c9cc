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

    /// Steps back the store's due times have not followed yet, and when the last was seen (in the clock
    /// as set back): a due time written since then was computed from that clock already.
    struct Owed: Sendable, Equatable {
        var seconds: TimeInterval
        var seenAt: Date
    }

    private let reference = ContinuousClock.now
    /// Wall-clock seconds minus continuous-clock seconds since `reference`, when last looked.
    private var offset: Double?
    private var owed: Owed?

    /// How far the wall clock went back since the last look, when it did by `tolerance` or more; it is
    /// then owed to the store too. A step forward only makes due times come sooner: left alone.
    /// Read the continuous clock first: a stall between the two readings then looks like a step forward.
    mutating func look(wall: Date, continuous: ContinuousClock.Instant) -> TimeInterval? {
        let elapsed = continuous - reference
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let current = wall.timeIntervalSince1970 - seconds
        defer { offset = current }
        let step = (offset ?? current) - current
        guard step >= Self.tolerance else { return nil }
        owed = Owed(seconds: (owed?.seconds ?? 0) + step, seenAt: wall)
        return step
    }

    /// What the store still owes, now handed to the caller to apply.
    mutating func takeOwed() -> Owed? {
        defer { owed = nil }
        return owed
    }

    /// What the store refused to apply: owed again, with any step seen meanwhile.
    mutating func giveBack(_ refused: Owed) {
        owed = Owed(seconds: refused.seconds + (owed?.seconds ?? 0), seenAt: owed?.seenAt ?? refused.seenAt)
    }
}
