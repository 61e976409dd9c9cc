import Logging
import ServiceLifecycle
import Synchronization

/// What readiness knows of a store without touching it.
package enum StoreCondition: Sendable, Equatable {
    /// The store could not be opened (yet); `problem` is why.
    case unopened(problem: String)
    /// The store is open; its write path last saw this.
    case open(CommitOutcome)
}

/// The store's readiness for `/readyz`, read without a write (or any disk access) per call.
///
/// The write path records each group commit's outcome (`CommitOutcome`), so while traffic flows the
/// latest commit answers. As a `Service` it fills the gaps: every `interval` it checks the free space (a
/// `statfs`) and, only when no commit has landed for `idleProbe` (or the last one failed), commits a
/// probe write itself. Anyone may call `/readyz` as often as they like; the disk sees at most one probe
/// per `idleProbe`.
package final class StoreHealth: Service, Sendable {
    package struct Configuration: Sendable {
        /// How often free space is checked and a probe considered.
        package var interval: Duration = .seconds(1)
        /// A probe runs once no commit has landed for this long.
        package var idleProbe: Duration = .seconds(5)
        /// No commit for this long (probes included) means the write path is stuck: not ready. Only
        /// meaningful while the service runs.
        package var stuckAfter: Duration = .seconds(30)

        package init() {}
    }

    /// Ready or not, and why not.
    package typealias Reading = (ok: Bool, problem: String?)

    /// Whether a probe should run now: when nothing was committed yet, the last commit failed, or it
    /// landed `idleProbe` or more ago. An unopened store is probed too (opening it is the probe).
    package static func probeDue(_ condition: StoreCondition, now: ContinuousClock.Instant, idleProbe: Duration) -> Bool {
        switch condition {
        case .unopened, .open(.none), .open(.failed): return true
        case .open(.committed(let at)): return now - at >= idleProbe
        }
    }

    /// Readiness from the store's condition, the latest free-space check and the time.
    package static func assess(
        _ condition: StoreCondition,
        lowDisk: String?,
        now: ContinuousClock.Instant,
        stuckAfter: Duration
    ) -> Reading {
        switch condition {
        case .unopened(let problem):
            return (false, problem)
        case .open(.failed(let at, let problem)):
            return (false, "the last commit failed \(seconds(now - at)) ago: \(problem)")
        case .open(.committed(let at)) where now - at >= stuckAfter:
            return (false, "no commit has landed for \(seconds(now - at)): the store's writer is stuck")
        case .open:
            if let lowDisk { return (false, lowDisk) }
            return (true, nil)
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        "\(max(0, duration.components.seconds)) s"
    }

    private let condition: @Sendable () -> StoreCondition
    private let checkDisk: @Sendable () -> String?
    private let probe: @Sendable () async throws -> Void
    private let configuration: Configuration
    private let logger: Logger
    private let lowDisk = Mutex<String?>(nil)

    /// Reads `condition` and `checkDisk` (neither may write), and calls `probe` (a write) when one is due.
    package init(
        configuration: Configuration = .init(),
        logger: Logger,
        condition: @escaping @Sendable () -> StoreCondition,
        checkDisk: @escaping @Sendable () -> String?,
        probe: @escaping @Sendable () async throws -> Void
    ) {
        self.condition = condition
        self.checkDisk = checkDisk
        self.probe = probe
        self.configuration = configuration
        self.logger = logger
    }

    /// The health of the store the running service uses; the probe opens it if it is not open yet.
    package convenience init(store: ResilientStore, configuration: Configuration = .init(), logger: Logger) {
        self.init(
            configuration: configuration,
            logger: logger,
            condition: { store.condition },
            checkDisk: { store.lowDiskProblem() },
            probe: { try await store.probe() }
        )
    }

    /// The health of an open store.
    package convenience init(store: any ServiceStore, configuration: Configuration = .init(), logger: Logger) {
        self.init(
            configuration: configuration,
            logger: logger,
            condition: { .open(store.lastCommit) },
            checkDisk: { store.lowDiskProblem() },
            probe: { try await store.probe() }
        )
    }

    /// Ready or not, and why not, for `/readyz`. Reads two values in memory; touches no file.
    package var current: Reading {
        Self.assess(condition(), lowDisk: lowDisk.withLock { $0 }, now: .now, stuckAfter: configuration.stuckAfter)
    }

    /// One pass: checks free space, and probes if due.
    func check() async {
        let disk = checkDisk()
        let before = lowDisk.withLock { state in
            defer { state = disk }
            return state
        }
        if disk != before, let disk { logger.warning("the disk is almost full", metadata: ["problem": "\(disk)"]) }
        guard Self.probeDue(condition(), now: .now, idleProbe: configuration.idleProbe) else { return }
        do {
            try await probe()
        } catch {
            // The outcome is recorded by the write path (or the open error by the store); `current` reports it.
            logger.debug("store probe failed", metadata: ["error": "\(error)"])
        }
    }

    /// Checks every `interval` until shutdown.
    package func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            await check()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.configuration.interval) }
        }
    }
}
