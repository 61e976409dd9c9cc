/// What became of one job handed to `enqueue`.
package enum EnqueueResult: Sendable, Equatable {
    /// Committed under this id.
    case accepted(Int64)
    /// One of its dedupe keys, or its correlation's transaction, was committed before; nothing was queued.
    case duplicate
}
