/// The front door of the store for the HTTP routes: commits jobs, then wakes the lanes that have
/// new work, so a committed job is claimed at once instead of at the next poll.
///
/// With a `capacity`, every call throws `StoreFull` while the store is above `BRIDGE_MAX_STORE_BYTES`,
/// before touching the store (the route answers `503`).
package struct Intake: Sendable {
    package let store: any DeliveryQueue
    /// The store's size cap; `nil`: no cap.
    package let capacity: StoreCapacity?
    private let wake: @Sendable (String) -> Void

    package init(
        store: any DeliveryQueue,
        capacity: StoreCapacity? = nil,
        wake: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.store = store
        self.capacity = capacity
        self.wake = wake
    }

    /// Commits `jobs` durably (see `DeliveryQueue.enqueue`) and wakes their destinations' lanes.
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

    /// Commits `jobs` with `binding` in one commit (see `DeliveryQueue.enqueue(_:binding:)`), even when
    /// there are no jobs, and wakes their destinations' lanes.
    package func submit(_ jobs: [NewJob], binding: KeyBinding?) async throws -> [EnqueueResult] {
        guard let binding else { return try await submit(jobs) }
        try await capacity?.admit()
        let results = try await store.enqueue(jobs, binding: binding)
        wakeLanes(jobs, results)
        return results
    }
}
