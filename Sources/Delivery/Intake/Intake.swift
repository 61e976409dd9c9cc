/// The front door of the store for the HTTP routes: commits jobs, then wakes the lanes that have
/// new work, so a committed job is claimed at once instead of at the next poll.
///
/// With a `capacity`, both `submit`s throw `StoreFull` while the store is above `BRIDGE_MAX_STORE_BYTES`,
/// before touching the store (the route answers `503`).
package struct Intake: Sendable {
    package let store: any DeliveryStore
    /// The store's size cap; `nil`: no cap.
    package let capacity: StoreCapacity?
    private let wake: @Sendable (String) -> Void

    package init(store: any DeliveryStore, capacity: StoreCapacity? = nil, wake: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.capacity = capacity
        self.wake = wake
    }

    /// Commits `jobs` durably (see `DeliveryStore.enqueue`) and wakes their destinations' lanes.
    package func submit(_ jobs: [NewJob]) async throws -> [EnqueueResult] {
        guard !jobs.isEmpty else { return [] }
        try await capacity?.admit()
        let results = try await store.enqueue(jobs)
        wakeLanes(jobs, results)
        return results
    }

    private func wakeLanes(_ jobs: [NewJob], _ results: [EnqueueResult]) {
        var woken = Set<String>()
        for (job, result) in zip(jobs, results) where job.deadLetterReason == nil {
            if case .accepted = result, woken.insert(job.destination).inserted { wake(job.destination) }
        }
    }

    /// Commits `jobs` with `binding` in one transaction (see `DeliveryStore.enqueue(_:binding:)`), even
    /// when there are no jobs, and wakes their destinations' lanes.
    package func submit(_ jobs: [NewJob], binding: KeyBinding?) async throws -> [EnqueueResult] {
        guard let binding else { return try await submit(jobs) }
        try await capacity?.admit()
        let results = try await store.enqueue(jobs, binding: binding)
        wakeLanes(jobs, results)
        return results
    }

    /// Commits the job `decide` makes of the correlation of `transactionId`, looked up in the same
    /// transaction (see `DeliveryStore.enqueue(correlating:_:)`), and wakes its destination's lane.
    package func submit<Note: Sendable>(
        correlating transactionId: String?,
        _ decide: @escaping @Sendable (Correlation?) -> (job: NewJob?, note: Note)
    ) async throws -> (note: Note, result: EnqueueResult?) {
        try await capacity?.admit()
        // The destination is known only once `decide` has run; it comes back beside the note.
        let (decided, result) = try await store.enqueue(correlating: transactionId) { cause in
            let (job, note) = decide(cause)
            return (job, (note, job?.destination, job?.deadLetterReason == nil))
        }
        if case .accepted = result, let destination = decided.1, decided.2 { wake(destination) }
        return (decided.0, result)
    }
}
