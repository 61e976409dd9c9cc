import Hummingbird
import Logging
import ServiceLifecycle

/// A Hummingbird application of the project's own (a port's router) running on a free loopback port.
package struct RunningServer: Sendable {
    package let port: Int
    private let group: ServiceGroup

    package var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `router` on 127.0.0.1, port 0.
    package static func start<Context: RequestContext>(router: Router<Context>) async throws -> RunningServer
    where Context.Source == ApplicationRequestContextSource {
        try await start(responder: router.buildResponder())
    }

    /// Starts `responder` on 127.0.0.1, port 0.
    package static func start<Responder: HTTPResponder>(responder: Responder) async throws -> RunningServer
    where Responder.Context: RequestContext, Responder.Context.Source == ApplicationRequestContextSource {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let logger = quietLogger("test-server")
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let failure = Locked<String?>(nil)
        Task {
            // However the run ends, the wait for the port below ends too: a server that failed before it
            // ran sends no port, and the test would wait for it for ever.
            defer { continuation.finish() }
            do { try await group.run() } catch { failure.withLock { $0 = "\(error)" } }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            await group.triggerGracefulShutdown()
            throw TestFailure("the test server did not start: \(failure.value ?? "it bound no port")")
        }
        return RunningServer(port: port, group: group)
    }

    /// Stops taking connections. Requests in flight still get their answers: cancelling a Hummingbird
    /// server mid-response traps in NIO, so the stop is graceful and not awaited.
    package func stop() {
        let group = group
        Task { await group.triggerGracefulShutdown() }
    }
}
