import Hummingbird
import Logging
import ServiceLifecycle

/// A Hummingbird application of the project's own (a port's router) running on a free loopback port.
public struct RunningServer: Sendable {
    public let port: Int
    private let group: ServiceGroup

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `router` on 127.0.0.1, port 0.
    public static func start(router: Router<BasicRequestContext>) async throws -> RunningServer {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "test-server")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            await group.triggerGracefulShutdown()
            throw TestFailure("server did not start")
        }
        return RunningServer(port: port, group: group)
    }

    /// Stops gracefully (see `FakeServer.stop`), without waiting.
    public func stop() {
        let group = group
        Task { await group.triggerGracefulShutdown() }
    }
}
