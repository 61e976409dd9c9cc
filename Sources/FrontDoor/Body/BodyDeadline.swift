import HummingbirdCore
import NIOCore
import Synchronization

/// The time request bodies may take on one port, enforced on their connections.
///
/// When a body's time passes, its stream ends with an error at once (the reader answers `408`), and
/// its connection is marked to close once that answer is written: a client that trickles its body
/// gets neither more time nor a connection to go on with. Hummingbird's connection handler is what
/// closes a connection after an answer and what feeds the body's stream, so both signals go to it: the
/// close as the quiesce event it already honours, the error to the handler after it, the body's stream.
///
/// One sweep every `granularity` checks every body in flight, rather than a timer per request: a timer
/// armed and cancelled from another thread costs each request two wake-ups of its event loop.
final class BodyDeadlines: Sendable {
    struct Expired: Error {}

    /// A body whose clock runs.
    private struct Running {
        let channel: any Channel
        let deadline: ContinuousClock.Instant
    }

    private struct State {
        var nextId = 0
        var running: [Int: Running] = [:]
        var sweeping = false
    }

    let timeout: Duration
    private let granularity: Duration
    private let state = Mutex(State())

    init(timeout: Duration) {
        self.timeout = timeout
        granularity = min(max(timeout / 4, .milliseconds(10)), .seconds(1))
    }

    /// Starts the clock of a body arriving on `channel`; `stop` it with the number returned.
    func start(on channel: any Channel) -> Int {
        let deadline = ContinuousClock.now + timeout
        let (id, startSweeping) = state.withLock { state in
            state.nextId &+= 1
            state.running[state.nextId] = Running(channel: channel, deadline: deadline)
            defer { state.sweeping = true }
            return (state.nextId, !state.sweeping)
        }
        if startSweeping { sweepUntilIdle() }
        return id
    }

    /// Stops the clock of body `id`; `true` when its time had passed (and its stream was ended).
    func stop(_ id: Int) -> Bool {
        state.withLock { $0.running.removeValue(forKey: id) } == nil
    }

    /// Sweeps while any body is in flight; the task ends when none is, or when the port is gone.
    private func sweepUntilIdle() {
        let granularity = granularity
        Task { [weak self] in
            while true {
                try? await Task.sleep(for: granularity)
                guard let self, self.sweep() else { return }
            }
        }
    }

    /// Ends the bodies past their deadline; `false` (and the sweeping stopped) when none is left.
    private func sweep() -> Bool {
        let now = ContinuousClock.now
        let (late, goOn) = state.withLock { state -> ([Running], Bool) in
            let late = state.running.filter { $0.value.deadline <= now }
            for id in late.keys { state.running.removeValue(forKey: id) }
            state.sweeping = !state.running.isEmpty
            return (Array(late.values), state.sweeping)
        }
        for body in late { Self.cutOff(body.channel) }
        return goOn
    }

    private static func cutOff(_ channel: any Channel) {
        channel.eventLoop.execute {
            guard let context = try? channel.pipeline.syncOperations.context(handlerType: HTTPConnectionStateHandler.self),
                let handler = context.handler as? HTTPConnectionStateHandler
            else {
                // Not Hummingbird's HTTP/1 pipeline: no answer can be given, so the connection goes.
                channel.close(promise: nil)
                return
            }
            handler.userInboundEventTriggered(context: context, event: ChannelShouldQuiesceEvent())
            context.fireErrorCaught(Expired())
        }
    }
}
