import HummingbirdCore
import NIOCore
import Synchronization

/// The time a request's body may take, enforced on its connection.
///
/// When it passes, the body's stream ends with an error at once (the reader answers `408`), and the
/// connection is marked to close once that answer is written: a client that trickles its body gets
/// neither more time nor a connection to go on with. Hummingbird's connection handler is what closes
/// a connection after an answer and what feeds the body's stream, so both signals go to it: the close
/// as the quiesce event it already honours, the error to the handler after it, the body's stream.
final class BodyDeadline: Sendable {
    struct Expired: Error {}

    private final class Flag: Sendable {
        let value = Mutex(false)
    }

    private let task: Scheduled<Void>
    private let expired = Flag()

    init(channel: any Channel, after timeout: Duration) {
        let expired = expired
        let components = timeout.components
        let nanoseconds = components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
        task = channel.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) {
            expired.value.withLock { $0 = true }
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

    /// Whether the time passed.
    var hasExpired: Bool { expired.value.withLock { $0 } }

    /// Calls the deadline off once the body is in.
    func cancel() { task.cancel() }
}
