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

    /// One body's deadline; `finish` it once the body is in.
    final class Ticket: Sendable {
        fileprivate let id: Int
        fileprivate let channel: any Channel
        fileprivate let deadline: ContinuousClock.Instant
        private let expired = Mutex(false)

        fileprivate init(id: Int, channel: any Channel, deadline: ContinuousClock.Instant) {
            self.id = id
            self.channel = channel
            self.deadline = deadline
        }

        /// Whether the time passed (and the body's stream was ended).
        var hasExpired: Bool { expired.withLock { $0 } }

        fileprivate func expire() { expired.withLock { $0 = true } }
    }

    private struct State {
        var nextId = 0
        var open: [Int: Ticket] = [:]
        var sweeping = false
    }

    let timeout: Duration
    private let granularity: Duration
    private let state = Mutex(State())

    init(timeout: Duration) {
        self.timeout = timeout
        granularity = min(max(timeout / 4, .milliseconds(10)), .seconds(1))
    }

    /// Starts the clock of a body arriving on `channel`.
    func start(on channel: any Channel) -> Ticket {
        let deadline = ContinuousClock.now + timeout
        let (ticket, startSweeping) = state.withLock { state in
            state.nextId &+= 1
            let ticket = Ticket(id: state.nextId, channel: channel, deadline: deadline)
            state.open[ticket.id] = ticket
            defer { state.sweeping = true }
            return (ticket, !state.sweeping)
        }
        if startSweeping { sweepUntilIdle() }
        return ticket
    }

    /// The body is in (or refused for another reason): its clock stops.
    func finish(_ ticket: Ticket) {
        _ = state.withLock { $0.open.removeValue(forKey: ticket.id) }
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
        let (late, goOn) = state.withLock { state -> ([Ticket], Bool) in
            let late = state.open.values.filter { $0.deadline <= now }
            for ticket in late { state.open.removeValue(forKey: ticket.id) }
            state.sweeping = !state.open.isEmpty
            return (late, state.sweeping)
        }
        for ticket in late { Self.cutOff(ticket) }
        return goOn
    }

    private static func cutOff(_ ticket: Ticket) {
        ticket.expire()
        let channel = ticket.channel
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
