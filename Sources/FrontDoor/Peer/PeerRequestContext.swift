import Hummingbird
import NIOCore

/// A request context that knows the connection's peer, for protected mode and the admin surface.
package protocol PeerRequestContext: RequestContext {
    /// The peer's address as the socket sees it; `nil` when unknown (then the peer counts as remote).
    var peerAddress: SocketAddress? { get }
    /// The connection, where there is one (not in a router test).
    var connection: (any Channel)? { get }
}

extension PeerRequestContext {
    /// The peer of `request` on this connection.
    package func peer(of request: Request) -> Peer {
        Peer.classify(address: peerAddress, headers: request.headers)
    }
}

/// The bridge's request context: Hummingbird's basic context plus the connection's peer.
package struct BridgeRequestContext: PeerRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let connection: (any Channel)?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        connection = source.channel
    }

    /// Read only when asked: most requests are decided without it.
    package var peerAddress: SocketAddress? { connection?.remoteAddress }
}
