import Delivery
import Effectiveness
import Foundation
import FrontDoor
import Hummingbird
import Inbound
import Logging
import MappingFiles
import NIOCore
import Outbound
import PostgresStore
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The whole service: the store, the relay and both ports, in one `ServiceGroup`.
struct Bridge: Sendable {
    let configuration: BridgeConfiguration
    let mapping: MappingFile?
    let store: ResilientStore
    let relay: Relay
    let logger: Logger
    /// The client tests pass in place of libcurl's; the poller uses it too.
    let pollClient: (any HTTPClient)?
    /// The ports actually bound (port 0 binds a free one); filled once each server runs.
    let boundPorts = BoundPorts()
    /// Which Novu calls this process sends as v1 (self-hosted Novu without the v2 routes); `/readyz` shows it.
    let novuVersions = NovuAPIVersions()

    /// `lock` is taken before the store is opened: a store is never opened without it.
    init(
        configuration: BridgeConfiguration,
        mapping: MappingFile?,
        lock: DataDirectoryLockHolder,
        logger: Logger,
        client: (any HTTPClient)? = nil
    ) throws {
        self.configuration = configuration
        self.mapping = mapping
        self.logger = logger
        pollClient = client
        let directory = configuration.dataDir
        if let database = configuration.database {
            // Replicas share the database: no data directory, no lock; the store's leases keep order.
            store = ResilientStore { try await PostgresStore.open(database, logger: logger) }
        } else {
            store = ResilientStore {
                try lock.acquire()
                return try SQLiteStore(directory: directory)
            }
        }
        // One client, with its own threads, per destination: each lane keeps up to NOVU_CONCURRENCY
        // requests in flight, and with one shared pool of that many threads a Novu that hangs held
        // every thread, so feedback for Segment waited behind it.
        let novuClient = client ?? CurlHTTPClient(threads: max(4, configuration.novuConcurrency))
        let segmentClient = client ?? CurlHTTPClient(threads: max(4, configuration.novuConcurrency))
        var novu = NovuDestination.Configuration(
            apiKey: configuration.novuAPIKey,
            baseURL: configuration.novuAPIURL,
            dryRun: configuration.dryRun
        )
        novu.bulkThreshold = configuration.bulkThreshold
        novu.userAgent = "novu-segment-bridge/\(BridgeVersion.current)"
        novu.followAfter = configuration.pollEnabled ? configuration.poll.policy.interval : nil
        var relayConfiguration = Relay.Configuration()
        relayConfiguration.maxRetryAge = configuration.maxRetryAge
        relayConfiguration.shutdownTimeout = configuration.shutdownTimeout
        relayConfiguration.holdProbeInterval = configuration.holdProbeInterval
        relayConfiguration.maxConcurrentRequests = configuration.novuConcurrency
        relayConfiguration.maxRequestsPerSecond["novu"] = configuration.novuMaxRPS
        relayConfiguration.maxRequestsPerSecond["segment"] = configuration.segmentMaxRPS
        relayConfiguration.gatherWindow["novu"] = configuration.novuBulkWait
        relayConfiguration.gatherWindow["segment"] = configuration.segmentBatchWait
        var segment = SegmentDestination.Configuration(
            writeKey: configuration.segmentWriteKey,
            baseURL: configuration.segmentAPIURL,
            dryRun: configuration.dryRun
        )
        segment.userAgent = novu.userAgent
        var destinations: [any DeliveryDestination] = [
            NovuDestination(configuration: novu, client: novuClient, logger: logger, versions: novuVersions),
            SegmentDestination(configuration: segment, client: segmentClient, logger: logger),
        ]
        // Conversions become Segment events: with Segment not configured, goals wait queued until it is.
        let lateWake = LateWake()
        if configuration.segmentNotConfigured == nil {
            destinations.append(
                ConversionDestination(
                    rules: mapping?.conversions ?? ConversionRules(),
                    names: mapping?.feedback ?? FeedbackNames(),
                    store: store,
                    libraryVersion: BridgeVersion.current,
                    wake: { lateWake.wake($0) },
                    logger: logger
                )
            )
        }
        relay = Relay(
            store: store,
            destinations: destinations,
            configuration: relayConfiguration,
            logger: logger
        )
        lateWake.set(relay)
    }

    /// Runs until SIGTERM/SIGINT (or cancellation), then shuts down gracefully. A test that runs the
    /// bridge in process passes no signals: those belong to the test runner.
    func run(signals: [UnixSignal] = [.sigterm, .sigint]) async throws {
        let relay = relay
        let capacity = StoreCapacity(limit: configuration.maxStoreBytes, store: store, logger: logger)
        let storeHealth = StoreHealth(store: store, logger: logger)
        let intake = Intake(store: store, capacity: capacity, wake: { relay.wake($0) })
        var ingestConfiguration = SegmentIngest.Configuration(writeKeys: configuration.writeKeys)
        ingestConfiguration.sharedSecrets = configuration.segmentSharedSecrets
        ingestConfiguration.authTokens = configuration.segmentAuthTokens
        ingestConfiguration.allowUnauthenticated = configuration.allowUnauthenticated
        ingestConfiguration.notConfigured = configuration.novuNotConfigured
        ingestConfiguration.bodyTimeout = configuration.bodyTimeout
        ingestConfiguration.libraryName = "novu-segment-bridge"
        ingestConfiguration.goals = mapping?.conversions.goals ?? []
        let ingest = SegmentIngest(
            configuration: ingestConfiguration,
            mapper: SegmentMapper(rules: mapping?.rules ?? MappingRules(), environment: configuration.environment),
            intake: intake,
            logger: logger
        )
        let admin = AdminAccess(tokens: Credentials([configuration.adminToken].compactMap { $0 }))
        let health = HealthRoutes(
            storeHealth: storeHealth,
            capacity: capacity,
            status: relay.status,
            admin: admin,
            notConfigured: [configuration.novuNotConfigured, configuration.segmentNotConfigured].compactMap { $0 },
            novuVersions: novuVersions
        )

        let segmentRouter = Router(context: BridgeRequestContext.self)
        segmentRouter.add(middleware: HTTPMetrics(port: "segment"))
        health.register(on: segmentRouter)
        SegmentRoutes(ingest: ingest).register(on: segmentRouter)
        var novuIngestConfiguration = NovuIngest.Configuration(
            signature: try SvixSignature(secrets: configuration.novuWebhookSecrets),
            acceptUnsigned: configuration.acceptUnsigned
        )
        novuIngestConfiguration.libraryVersion = BridgeVersion.current
        novuIngestConfiguration.allowUnauthenticated = configuration.allowUnauthenticated
        novuIngestConfiguration.notConfigured = configuration.segmentNotConfigured
        novuIngestConfiguration.bodyTimeout = configuration.bodyTimeout
        novuIngestConfiguration.recordsUsers = !(mapping?.conversions.rules.isEmpty ?? true)
        let novuIngest = NovuIngest(
            configuration: novuIngestConfiguration,
            names: mapping?.feedback ?? FeedbackNames(),
            intake: intake,
            logger: logger
        )
        let novuRouter = Router(context: BridgeRequestContext.self)
        novuRouter.add(middleware: HTTPMetrics(port: "novu"))
        health.register(on: novuRouter)
        NovuRoutes(ingest: novuIngest).register(on: novuRouter)
        ReportRoutes(store: store, rules: mapping?.conversions ?? ConversionRules(), admin: admin).register(on: novuRouter)

        let segmentApp = Listener(
            base: application("segment", router: segmentRouter, port: configuration.segmentPort),
            address: "\(configuration.host):\(configuration.segmentPort)",
            variable: "BRIDGE_SEGMENT_PORT"
        )
        let novuApp = Listener(
            base: application("novu", router: novuRouter, port: configuration.novuPort),
            address: "\(configuration.host):\(configuration.novuPort)",
            variable: "BRIDGE_NOVU_PORT"
        )
        // ServiceGroup shuts services down last-to-first: the ports stop taking requests first, then
        // the relay finishes in-flight sends.
        var retention = Retention.Configuration()
        retention.retention = configuration.retention
        retention.deadLetterRetention = configuration.deadLetterRetention
        retention.funnelRetention = configuration.funnelRetention
        // The link from a transaction to its cause outlives the longest conversion window and the give-up age.
        let conversionWindow = Duration.seconds(mapping?.conversions.longestWindow ?? 0)
        retention.correlationRetention = max(retention.correlationRetention, conversionWindow + configuration.maxRetryAge)
        let pruning = Retention(store: store, configuration: retention, logger: logger)
        var services: [any Service] = [
            pruning, capacity, storeHealth, FunnelFolder(store: store, logger: logger),
            QueueGauges(store: store, destinations: ["novu", "segment"], interval: .seconds(5), logger: logger),
            relay,
        ]
        if let poller = poller(names: mapping?.feedback ?? FeedbackNames(), capacity: capacity) { services.append(poller) }
        // `Notification Triggered` once Segment is configured; until then the triggers wait in the funnel.
        if configuration.segmentNotConfigured == nil {
            var announcer = TriggerAnnouncer.Configuration()
            announcer.libraryVersion = BridgeVersion.current
            services.append(
                TriggerAnnouncer(
                    configuration: announcer,
                    names: mapping?.feedback ?? FeedbackNames(),
                    store: store,
                    wake: { relay.wake($0) },
                    logger: logger
                )
            )
        }
        var group = ServiceGroupConfiguration(
            services: services + [novuApp, segmentApp],
            gracefulShutdownSignals: signals,
            logger: logger
        )
        // DESIGN §5: exit within BRIDGE_SHUTDOWN_TIMEOUT. The ports wait for requests in flight, and a
        // client that sends its body slowly held them (and the exit) for as long as it kept sending.
        // Past the timeout everything is cancelled: a request not yet answered was not acknowledged, and
        // its sender retries it; a send still in flight is released, as at the relay's own deadline.
        group.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        try await ServiceGroup(configuration: group).run()
    }

    /// The activity poller, when it runs (`NOVU_POLL`), with a client of its own: a slow activity API
    /// must not hold the threads triggers are sent on.
    private func poller(names: FeedbackNames, capacity: StoreCapacity) -> ActivityPoller? {
        guard configuration.pollEnabled, let key = configuration.novuAPIKey else { return nil }
        var api = NovuActivityAPI(baseURL: configuration.novuAPIURL, apiKey: key)
        api.userAgent = "novu-segment-bridge/\(BridgeVersion.current)"
        var settings = ActivityPoller.Configuration(api: api)
        settings.policy = configuration.poll.policy
        settings.libraryVersion = BridgeVersion.current
        settings.recordsUsers = !(mapping?.conversions.rules.isEmpty ?? true)
        let relay = relay
        return ActivityPoller(
            configuration: settings,
            names: names,
            store: store,
            client: pollClient ?? CurlHTTPClient(threads: 2),
            wake: { relay.wake($0) },
            capacity: capacity,
            logger: logger
        )
    }

    private func application(_ name: String, router: Router<BridgeRequestContext>, port: Int) -> some Service {
        let ports = boundPorts
        let logger = logger
        let idle = configuration.idleTimeout.components
        return Application(
            router: router,
            server: .http1(
                configuration: .init(idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000))
            ),
            configuration: .init(address: .hostname(configuration.host, port: port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                ports.set(name, bound)
                logger.notice("listening", metadata: ["port.name": "\(name)", "port": "\(bound)"])
            },
            logger: logger
        )
    }
}

/// A port's server, whose failure names the address and the variable that chose it: a port already in
/// use surfaced as a bare `bind(...): Address already in use`, naming neither.
struct Listener<Base: Service>: Service {
    let base: Base
    let address: String
    let variable: String

    func run() async throws {
        do {
            try await base.run()
        } catch let error as IOError {
            throw ListenFailure(description: "cannot listen on \(address) (\(variable), BRIDGE_HOST): \(error.description)")
        }
    }
}

/// A port that could not be opened.
struct ListenFailure: Error, CustomStringConvertible {
    var description: String
}

/// The relay, for a destination made before it: `wake` reaches it once it is set.
final class LateWake: Sendable {
    private let relay = Mutex<Relay?>(nil)
    func set(_ relay: Relay) { self.relay.withLock { $0 = relay } }
    func wake(_ destination: String) { relay.withLock { $0 }?.wake(destination) }
}

/// Ports bound by the running servers, by name (`segment`, `novu`).
final class BoundPorts: Sendable {
    private let ports = Mutex([String: Int]())
    func set(_ name: String, _ port: Int) { ports.withLock { $0[name] = port } }
    func port(_ name: String) -> Int? { ports.withLock { $0[name] } }
}

enum BridgeVersion {
    static let current = "0.1.0"
}
