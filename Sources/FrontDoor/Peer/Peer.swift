import HTTPTypes
import NIOCore

/// Who sent a request, as far as the bridge can tell from the connection and its headers.
package enum Peer: Sendable, Equatable {
    /// A loopback connection that names no other client: a process on this machine.
    case local
    /// Anyone else, including a request a proxy on this machine forwards: the proxy connects over
    /// loopback, but the request comes from wherever the proxy's client is.
    case remote

    /// `Forwarded`, `X-Forwarded-For` and `X-Real-IP`: a request that carries one was relayed.
    static let forwardingHeaders: [HTTPField.Name] = ["Forwarded", "X-Forwarded-For", "X-Real-IP"].compactMap {
        HTTPField.Name($0)
    }

    /// Local only for a loopback (or Unix socket) peer whose request carries no forwarding header.
    /// An unknown address is remote: the safe side when in doubt.
    package static func classify(address: SocketAddress?, headers: HTTPFields) -> Peer {
        if forwardingHeaders.contains(where: { headers[$0] != nil }) { return .remote }
        guard let address else { return .remote }
        return isLoopback(address) ? .local : .remote
    }

    /// `127.0.0.0/8`, `::1`, IPv4 loopback mapped into IPv6, and Unix sockets; read from the address's
    /// bytes, with no text made of it.
    static func isLoopback(_ address: SocketAddress) -> Bool {
        switch address {
        // `sockaddr_in` keeps its address at byte 4, `sockaddr_in6` at byte 8, in network order, after
        // the family and port (and the IPv6 flow label).
        case .v4(let v4):
            return withUnsafeBytes(of: v4.address) { $0[4] } == 127
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address) { Array($0[8..<24]) }
            let zeros = bytes[0..<10].allSatisfy { $0 == 0 }
            let isOne = zeros && bytes[10..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
            let mappedLoopback = zeros && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
            return isOne || mappedLoopback
        case .unixDomainSocket:
            return true
        }
    }
}
