import HTTPTypes
import NIOCore
import Testing

@testable import FrontDoor

@Suite("Peers")
struct PeerTests {
    static let forwarded: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "203.0.113.9"]

    static let cases: [(address: String?, headers: HTTPFields, peer: Peer)] = [
        ("127.0.0.1", [:], .local), ("127.8.9.10", [:], .local), ("::1", [:], .local), ("::ffff:127.0.0.1", [:], .local),
        ("10.0.0.5", [:], .remote), ("203.0.113.7", [:], .remote), ("::2", [:], .remote), ("fe80::1", [:], .remote),
        // A proxy on this machine connects over loopback; its client is somewhere else.
        ("127.0.0.1", forwarded, .remote),
        ("127.0.0.1", [HTTPField.Name("Forwarded")!: "for=203.0.113.9"], .remote),
        ("127.0.0.1", [HTTPField.Name("X-Real-IP")!: "203.0.113.9"], .remote),
        // Unknown: the safe side.
        (nil, [:], .remote),
    ]

    @Test("local only for a loopback peer whose request names no other client", arguments: cases)
    func classify(address: String?, headers: HTTPFields, peer: Peer) throws {
        let socket = try address.map { try SocketAddress(ipAddress: $0, port: 4000) }
        #expect(Peer.classify(address: socket, headers: headers) == peer)
    }
}
