import Synchronization

/// A one-way flag shared between tasks and threads: a transfer's cancellation, a lane's stop.
final class CancelFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func cancel() { flag.store(true, ordering: .relaxed) }
    var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// A shared counter (requests finished).
final class AtomicCount: Sendable {
    private let count = Atomic<Int>(0)
    func add(_ delta: Int) { count.add(delta, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
    /// The count, which starts again from zero.
    func take() -> Int { count.exchange(0, ordering: .relaxed) }
}
