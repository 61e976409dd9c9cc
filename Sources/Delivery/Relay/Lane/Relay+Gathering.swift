extension Relay {
    /// A lane's gather window: jobs claimed but held back for a fuller request, and when the next
    /// claim round may run.
    ///
    /// After a round that left nothing due, the next round waits until the window has passed since
    /// it, so what arrives meanwhile is claimed together; a destination may also hold back a request
    /// it would rather send fuller (a Novu bulk of fewer than 100). A job is held at most about one
    /// window: held jobs are planned first, so they fill the next full request, and when the oldest
    /// has waited a window, all that is held goes as it is. A round that left work due (a backlog)
    /// does not slow the next one.
    struct Gathering {
        let window: Duration
        /// Claimed, not yet sent, oldest first; planned again with the next round's jobs.
        private(set) var held: [ClaimedJob] = []
        /// When each held job was first held back, by job id.
        private var heldSince: [Int64: ContinuousClock.Instant] = [:]
        /// The next claim round waits until then; `nil`: at once.
        private(set) var nextClaim: ContinuousClock.Instant?

        init(window: Duration) {
            self.window = window
        }

        /// Plans the held jobs and those a round claimed (`exhausted`: it took fewer than it asked for,
        /// so nothing more is due), and returns the requests to send now.
        mutating func plan(
            claimed: [ClaimedJob],
            exhausted: Bool,
            for destination: some DeliveryDestination,
            now: ContinuousClock.Instant
        ) -> [[ClaimedJob]] {
            let jobs = held + claimed
            guard window > .zero else { return destination.plan(jobs) }
            var (requests, waiting) = destination.plan(jobs, gathering: exhausted)
            // Once the oldest held job has waited a whole window, everything held goes, in whatever
            // requests it makes.
            if waiting.contains(where: { job in heldSince[job.id].map { now >= $0 + window } ?? false }) {
                requests += destination.plan(waiting)
                waiting = []
            }
            held = waiting
            heldSince = Dictionary(uniqueKeysWithValues: waiting.map { ($0.id, heldSince[$0.id] ?? now) })
            nextClaim = !claimed.isEmpty && exhausted ? now + window : nil
            if let oldest = heldSince.values.min() { nextClaim = min(nextClaim ?? oldest + window, oldest + window) }
            return requests
        }

        /// Hands back every held job (to release) and forgets the window.
        mutating func takeAll() -> [ClaimedJob] {
            defer {
                held = []
                heldSince = [:]
                nextClaim = nil
            }
            return held
        }
    }
}
