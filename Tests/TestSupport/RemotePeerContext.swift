import FrontDoor
import Hummingbird
import NIOCore

/// A request context whose every request seems to come from another machine (`203.0.113.7`, a
/// documentation address), so protected mode and the admin guard can be tested over loopback.
package struct RemotePeerContext: PeerRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let peerAddress: SocketAddress?
    package let connection: (any Channel)?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = try? SocketAddress(ipAddress: "203.0.113.7", port: 40000)
        connection = source.channel
    }
}
