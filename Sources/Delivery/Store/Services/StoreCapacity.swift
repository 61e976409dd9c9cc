import Logging
import ServiceLifecycle
import Synchronization

/// The store's size against `BRIDGE_MAX_STORE_BYTES`: ingest asks it before committing, `/readyz` reads
/// its `status`, and as a `Service` it measures the store every `interval`. Delivery and pruning never ask
/// it, so they go on while ingest is refused and free the space that lets ingest resume by itself.
///
/// The measure is the store's `storeBytes()` (for SQLite, the pages in use; the WAL comes on top). Between
/// two measures ingest can overshoot the limit by what arrives in one interval; the limit is a ceiling for
/// an operator's disk budget, not an exact quota.
package final class StoreCapacity: Service, Sendable {
    /// What `/readyz` and ingest read: the latest measure and the decision made from it.
    package struct Status: Sendable, Equatable {
        /// `BRIDGE_MAX_STORE_BYTES`; `nil` when there is no cap.
        package var limit: Int64?
        /// The latest measure; `nil` until the first one succeeds.
        package var usedBytes: Int64?
        /// Whether ingest is refused.
        package var full: Bool

        package init(limit: Int64?, usedBytes: Int64?, full: Bool) {
            self.limit = limit
            self.usedBytes = usedBytes
            self.full = full
        }

        /// The refusal ingest throws while full.
        package var refusal: StoreFull? {
            guard full, let limit, let usedBytes else { return nil }
            return StoreFull(usedBytes: usedBytes, limit: limit, resumeBelow: StoreCapacity.resumeBelow(limit: limit))
        }

        /// Why the store is not ready for ingest, for `/readyz`; `nil` when it is.
        package var problem: String? { refusal?.description }
    }

    /// Full at or above `limit`; once full, full until below `resumeBelow(limit:)`, so a store hovering at
    /// the limit does not flip between refusing and accepting at every measure. No limit: never full.
    package static func isFull(usedBytes: Int64, limit: Int64?, wasFull: Bool) -> Bool {
        guard let limit else { return false }
        return usedBytes >= (wasFull ? resumeBelow(limit: limit) : limit)
    }

    /// Where a full store resumes ingest: 2% below the limit (at the limit itself for tiny limits).
    package static func resumeBelow(limit: Int64) -> Int64 {
        limit - limit / 50
    }

    private struct State {
        var status: Status
        var measuredAt: ContinuousClock.Instant?
    }

    private let state: Mutex<State>
    private let measure: @Sendable () async throws -> Int64
    private let interval: Duration
    /// How often ingest may re-measure a full store on demand, so it resumes without waiting for the
    /// next pass and a storm of refused requests does not measure on each one.
    private let onDemandInterval: Duration
    private let logger: Logger

    /// `measure` returns the store's size in bytes; `limit` `nil` turns the cap off (nothing is measured).
    package init(
        limit: Int64?,
        interval: Duration = .seconds(1),
        onDemandInterval: Duration = .milliseconds(100),
        logger: Logger,
        measure: @escaping @Sendable () async throws -> Int64
    ) {
        state = Mutex(State(status: Status(limit: limit, usedBytes: nil, full: false)))
        self.measure = measure
        self.interval = interval
        self.onDemandInterval = onDemandInterval
        self.logger = logger
    }

    /// Measures `store` (its `storeBytes()`).
    package convenience init(limit: Int64?, store: any StoreMaintenance, interval: Duration = .seconds(1), logger: Logger) {
        self.init(limit: limit, interval: interval, logger: logger) { try await store.storeBytes() }
    }

    /// The latest decision; reads no disk.
    package var status: Status { state.withLock { $0.status } }

    /// Measures now and updates `status`.
    @discardableResult
    package func refresh() async throws -> Status {
        guard status.limit != nil else { return status }
        let used = try await measure()
        let now = ContinuousClock.now
        let (before, after) = state.withLock { state -> (Status, Status) in
            let before = state.status
            state.status.usedBytes = used
            state.status.full = Self.isFull(usedBytes: used, limit: before.limit, wasFull: before.full)
            state.measuredAt = now
            return (before, state.status)
        }
        if after.full != before.full {
            if after.full {
                logger.error(
                    "the store is full; ingest answers 503 StoreFull until it is below the limit",
                    metadata: ["bytes": "\(used)", "limit": "\(after.limit ?? 0)"]
                )
            } else {
                logger.notice("the store is below its limit again; ingest resumed", metadata: ["bytes": "\(used)"])
            }
        }
        return after
    }

    /// Throws `StoreFull` while the store is full, re-measuring first if the latest measure is older than
    /// `onDemandInterval`.
    package func admit() async throws {
        let (full, measuredAt) = state.withLock { ($0.status.full, $0.measuredAt) }
        guard full else { return }
        if let measuredAt, ContinuousClock.now - measuredAt >= onDemandInterval {
            // A failed measure leaves the last decision standing.
            _ = try? await refresh()
        }
        if let refusal = status.refusal { throw refusal }
    }

    /// Measures every `interval` until shutdown; without a limit it only waits for shutdown.
    package func run() async throws {
        guard status.limit != nil else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try await refresh()
            } catch {
                logger.debug("could not measure the store; keeping the last measure", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }
}
