import Foundation
import Logging
import Synchronization

/// The wall clock as the relay follows it: due times, retry times and pauses are wall-clock times, because
/// they outlive the process, so a clock set back must move them back with it (see `ClockWatch`). Shared by
/// every lane.
final class RelayClock: Sendable {
    private let store: any StoreMaintenance
    private let destinations: [String]
    private let status: RelayStatus
    private let doorbells: [Doorbell]
    private let logger: Logger
    private let wallClock: @Sendable () -> Date
    /// Notices a wall clock set back.
    private let watch = Mutex(ClockWatch())

    init(
        store: any StoreMaintenance,
        destinations: [String],
        status: RelayStatus,
        doorbells: [Doorbell],
        logger: Logger,
        wallClock: @escaping @Sendable () -> Date
    ) {
        self.store = store
        self.destinations = destinations
        self.status = status
        self.doorbells = doorbells
        self.logger = logger
        self.wallClock = wallClock
    }

    /// The wall-clock time. The first reading after the clock was set back moves every pause back by the
    /// step, before anyone else reads the new time, so a pause set from the new time is never moved; the
    /// store's due times follow in `follow()`.
    func now() -> Date {
        let (now, step) = watch.withLock { watch in
            // The continuous clock first: a stall between the two readings then looks like a step forward,
            // which is left alone, not like a step back.
            let continuous = ContinuousClock.now
            let wall = wallClock()
            let step = watch.look(wall: wall, continuous: continuous)
            if let step {
                for destination in destinations {
                    status.update(destination) { $0.pausedUntil = $0.pausedUntil?.addingTimeInterval(-step) }
                }
            }
            return (wall, step)
        }
        if step != nil { for bell in doorbells { bell.ring() } }
        return now
    }

    /// The time, after moving the store's due times back by any step back of the wall clock not yet
    /// followed: each lane looks before each round, and one of them moves every destination's queue in
    /// one transaction, then wakes every lane. A refused move is tried again at the next look.
    func follow() async -> Date {
        let now = now()
        guard let owed = watch.withLock({ $0.takeOwed() }) else { return now }
        do {
            let moved = try await store.moveSchedule(
                destinations: destinations,
                back: owed.seconds,
                now: wallClock,
                settledSince: owed.seenAt
            )
            logger.warning(
                "the wall clock went back; due times of queued events and pauses moved back with it",
                metadata: ["seconds": "\(Int(owed.seconds.rounded()))", "jobs": "\(moved)"]
            )
            for bell in doorbells { bell.ring() }
        } catch {
            // Tried again at the lane's next round, after its wait: ringing now would make the lanes spin
            // against a store that is down.
            watch.withLock { $0.giveBack(owed) }
            logger.error(
                "the wall clock went back; the store refused to move due times, trying again",
                metadata: ["error": "\(error)"]
            )
        }
        return now
    }

    /// At start: a queued job never attempted but due in the future shows the wall clock went back while
    /// the bridge was stopped (or was too far ahead when the job was queued), by at least that much. The
    /// clock is the same for every destination, so all of them move by the largest such skew. Best
    /// effort: with no such job (every head attempted already), nothing shows the step.
    func catchUpWithStoredSchedule() async {
        let now = now()
        do {
            var skew: TimeInterval = 0
            for destination in destinations {
                skew = max(skew, try await store.scheduleSkew(destination: destination, now: now) ?? 0)
            }
            guard skew >= ClockWatch.tolerance else { return }
            let moved = try await store.moveSchedule(destinations: destinations, back: skew, now: wallClock, settledSince: nil)
            logger.warning(
                "queued events were due in the future: the wall clock went back while the bridge was stopped; due times moved back",
                metadata: ["seconds": "\(Int(skew.rounded()))", "jobs": "\(moved)"]
            )
        } catch {
            logger.error("could not read or move the queue's due times at start", metadata: ["error": "\(error)"])
        }
    }
}
