/// One poll round's results, committed in one transaction: a crash before it leaves the round undone
/// (the next round sees the same changes), a crash after it leaves nothing to repeat.
package struct PollCommit: Sendable {
    /// The Segment events the changes became.
    package var jobs: [NewJob]
    /// Novu message id → the change types emitted for it so far (the new total), with its transaction.
    package var emitted: [String: (transactionId: String, types: Set<String>)]
    package var looks: [FollowLook]

    package init(jobs: [NewJob] = [], emitted: [String: (transactionId: String, types: Set<String>)] = [:], looks: [FollowLook] = []) {
        self.jobs = jobs
        self.emitted = emitted
        self.looks = looks
    }
}
