import Synchronization

/// The bytes of request bodies a port holds at once. Each request's body is bounded on its own, but many
/// at once were not: a few hundred clients sending 8 MiB bodies (or small gzip bodies that inflate to
/// 8 MiB) made the process hold gigabytes. A request reserves what its body may take before reading it,
/// and one that would pass the budget is answered 503 at once, which senders retry.
public final class BodyBudget: Sendable {
    /// The bytes all bodies in flight may take together.
    public let capacity: Int
    private let used = Mutex(0)

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// Reserves `bytes`; `false` (nothing reserved) when the bodies in flight would then pass the budget.
    /// A request alone may always take the whole budget.
    public func reserve(_ bytes: Int) -> Bool {
        let bytes = min(max(bytes, 0), capacity)
        return used.withLock { used in
            guard used + bytes <= capacity else { return false }
            used += bytes
            return true
        }
    }

    /// Gives back what `reserve` took for the same `bytes`.
    public func release(_ bytes: Int) {
        let bytes = min(max(bytes, 0), capacity)
        used.withLock { $0 -= bytes }
    }

    /// Bytes reserved now (for tests).
    public var reserved: Int { used.withLock { $0 } }

    /// What a body may take while read: its `Content-Length` when it has one and is not compressed, else
    /// the route's limit (a chunked body may grow to it, a compressed one inflates up to it).
    public static func need(contentLength: String?, compressed: Bool, limit: Int) -> Int {
        guard !compressed, let length = contentLength.flatMap({ Int($0) }), length >= 0 else { return limit }
        return min(length, limit)
    }
}
