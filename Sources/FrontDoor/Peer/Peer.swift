import HTTPTypes
import NIOCore

/// Who sent a request, as far as the bridge can tell from the connection and its headers.
public enum Peer: Sendable, Equatable {
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
    public static func classify(address: SocketAddress?, headers: HTTPFields) -> Peer {
        if forwardingHeaders.contains(where: { headers[$0] != nil }) { return .remote }
        guard let address else { return .remote }
        if case .unixDomainSocket = address { return .local }
        guard let ip = address.ipAddress else { return .remote }
        return isLoopback(ip) ? .local : .remote
    }

    /// `127.0.0.0/8`, `::1`, and IPv4 loopback mapped into IPv6.
    static func isLoopback(_ ip: String) -> Bool {
        let lowered = ip.lowercased()
        return lowered.hasPrefix("127.") || lowered == "::1" || lowered.hasPrefix("::ffff:127.")
    }
}
