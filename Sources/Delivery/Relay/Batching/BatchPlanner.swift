/// What one request carrying several jobs may hold, as its destination takes it.
package struct BatchLimits: Sendable, Equatable {
    /// The most jobs in one request.
    package var maxItems: Int
    /// The most bytes of one request's body, its envelope included.
    package var maxBytes: Int
    /// The bytes of the envelope around the items (`{"batch":[` … `],"sentAt":…}`).
    package var envelopeBytes: Int
    /// An item over this many bytes fits no request and goes alone (its destination refuses it without a
    /// request); `nil`: the body limit alone decides.
    package var maxItemBytes: Int?

    package init(maxItems: Int, maxBytes: Int, envelopeBytes: Int, maxItemBytes: Int? = nil) {
        self.maxItems = maxItems
        self.maxBytes = maxBytes
        self.envelopeBytes = envelopeBytes
        self.maxItemBytes = maxItemBytes
    }
}

/// How claimed jobs become requests, for every destination that takes several jobs in one request (Novu's
/// bulk triggers, Segment's batches). Pure: the destination says which of its jobs could share a request
/// and what a request may hold; the planner packs them in order and applies the split rule.
///
/// The split rule: a request of several that is refused as a whole says nothing of which job was wrong.
/// Each of its jobs is tried again at once (`AttemptResult.Verdict.split`), and a job whose last answer
/// was such a refusal goes alone, so its own answer decides — one bad event never dead-letters others.
package struct BatchPlanner: Sendable {
    package var limits: BatchLimits
    /// Fewer jobs than this that could share a request go one request each (a Novu bulk request costs 100
    /// rate-limit tokens, however few events it holds).
    package var minimumShared: Int
    /// While the relay gathers (its window is open), jobs that would make a partly filled request wait for
    /// more instead (see `Relay.Gathering`).
    package var waitsForFullRequests: Bool
    /// Whether the destination could send `job` with others at all (Novu: triggers; Segment: events for a user).
    package var sharable: @Sendable (ClaimedJob) -> Bool

    package init(
        limits: BatchLimits,
        minimumShared: Int = 1,
        waitsForFullRequests: Bool = false,
        sharable: @escaping @Sendable (ClaimedJob) -> Bool = { _ in true }
    ) {
        self.limits = limits
        self.minimumShared = minimumShared
        self.waitsForFullRequests = waitsForFullRequests
        self.sharable = sharable
    }

    /// Whether `job` may go out with others: its destination allows it, and its last answer was not a
    /// refusal (after a refused request of several, each job goes alone; see the split rule).
    package func mayShare(_ job: ClaimedJob) -> Bool {
        sharable(job) && job.lastStatus.map { RetryPolicy.classify(status: $0) != .refused } ?? true
    }

    /// The requests for `jobs`: every job in exactly one, sharable ones packed in order.
    package func plan(_ jobs: [ClaimedJob]) -> [[ClaimedJob]] {
        let shared = jobs.filter(mayShare)
        let packed = Self.pack(sizes: shared.map(\.payload.count), limits: limits)
        var requests: [[ClaimedJob]] = []
        for batch in packed.batches {
            let group = batch.map { shared[$0] }
            if group.count >= minimumShared { requests.append(group) } else { requests += group.map { [$0] } }
        }
        requests += packed.oversize.map { [shared[$0]] }
        requests += jobs.filter { !mayShare($0) }.map { [$0] }
        return requests
    }

    /// Like `plan(_:)`; while `gathering`, and if this destination waits for full requests, the newest
    /// sharable jobs beyond the last full request wait (the held ones come first in `jobs`, so they fill
    /// the full requests).
    package func plan(_ jobs: [ClaimedJob], gathering: Bool) -> (requests: [[ClaimedJob]], waiting: [ClaimedJob]) {
        let shared = jobs.filter(mayShare)
        let partial = shared.count % limits.maxItems
        guard gathering, waitsForFullRequests, partial > 0 else { return (plan(jobs), []) }
        let waiting = Array(shared.suffix(partial))
        let waitingIds = Set(waiting.map(\.id))
        return (plan(jobs.filter { !waitingIds.contains($0.id) }), waiting)
    }

    /// The verdict for each job of a request of `count` that was judged as a whole: a refusal of several
    /// is a split (see the split rule); anything else holds for each.
    package static func verdict(_ verdict: AttemptResult.Verdict, forEachOf count: Int) -> AttemptResult.Verdict {
        verdict == .refused && count > 1 ? .split : verdict
    }

    /// Items of these sizes, in order, cut into requests within `limits` (a comma between items); an item
    /// over `limits.maxItemBytes` goes into `oversize` rather than sink a request with it.
    package static func pack(sizes: [Int], limits: BatchLimits) -> (batches: [[Int]], oversize: [Int]) {
        var batches: [[Int]] = []
        var oversize: [Int] = []
        var current: [Int] = []
        var bytes = limits.envelopeBytes
        for (index, size) in sizes.enumerated() {
            if let most = limits.maxItemBytes, size > most {
                oversize.append(index)
                continue
            }
            if !current.isEmpty, current.count >= limits.maxItems || bytes + 1 + size > limits.maxBytes {
                batches.append(current)
                current = []
                bytes = limits.envelopeBytes
            }
            bytes += size + (current.isEmpty ? 0 : 1)
            current.append(index)
        }
        if !current.isEmpty { batches.append(current) }
        return (batches, oversize)
    }
}
