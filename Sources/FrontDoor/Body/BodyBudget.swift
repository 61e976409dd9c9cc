import Synchronization

/// The bytes of request bodies a port holds at once.
///
/// Each request's body is bounded on its own; this bounds them together, so a few hundred clients sending
/// large bodies at once cannot make the process hold gigabytes. A request takes budget for the bytes it
/// has actually received, chunk by chunk, and one whose next chunk would pass the budget is answered
/// `503`, which senders retry. Budget is not reserved from an announced `Content-Length`: then a few
/// clients announcing large bodies and trickling them would hold it all with almost no bytes sent.
package final class BodyBudget: Sendable {
    /// The bytes all bodies in flight may take together.
    package let capacity: Int
    private let used = Mutex(0)

    package init(capacity: Int) {
        self.capacity = capacity
    }

    /// Takes `bytes`; `false` (nothing taken) when the bodies in flight would then pass the budget.
    package func take(_ bytes: Int) -> Bool {
        used.withLock { used in
            guard bytes >= 0, used + bytes <= capacity else { return false }
            used += bytes
            return true
        }
    }

    /// Gives back what `take` took.
    package func give(_ bytes: Int) {
        used.withLock { $0 -= bytes }
    }

    /// Bytes held now.
    package var held: Int { used.withLock { $0 } }
}
