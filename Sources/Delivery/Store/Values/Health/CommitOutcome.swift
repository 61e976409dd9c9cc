/// What the store's write path last learned: the latest write committed, or failed in a way that says the
/// store cannot commit (a full disk, an I/O error, a read-only file, a lock held too long, a database
/// that does not answer). Readiness reads it without touching the store.
package enum CommitOutcome: Sendable, Equatable {
    /// Nothing written since the store was opened.
    case none
    case committed(at: ContinuousClock.Instant)
    case failed(at: ContinuousClock.Instant, problem: String)
}
