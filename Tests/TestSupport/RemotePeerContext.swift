import FrontDoor
import Hummingbird
import NIOCore

/// A request context whose every request seems to come from another machine (`203.0.113.7`, a
/// documentation address), so protected mode and the admin guard can be tested over loopback.
public struct RemotePeerContext: PeerRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let peerAddress: SocketAddress?
    public let connection: (any Channel)?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = try? SocketAddress(ipAddress: "203.0.113.7", port: 40000)
        connection = source.channel
    }
}
