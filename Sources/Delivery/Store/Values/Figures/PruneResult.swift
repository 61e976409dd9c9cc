/// What one pruning pass removed.
package struct PruneResult: Sendable, Equatable {
    package var jobs = 0
    package var dedupeKeys = 0
    package var correlations = 0
    /// Dead-lettered jobs (their attempts go with them).
    package var deadLetters = 0
    /// Followed transactions (with their messages' emitted changes).
    package var follows = 0

    package init() {}
}
