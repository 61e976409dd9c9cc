import Delivery
import Foundation
import FrontDoor
import Hummingbird
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection to loopback driven byte by byte: for a client that sends its request slowly, which
/// an HTTP client library cannot be made to do.
package enum RawConnection {
    /// Opens a connection to `port` on loopback and sends `bytes`; returns the socket.
    package static func open(_ port: Int, sending bytes: String) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw TestFailure("cannot connect to port \(port)")
        }
        send(fd, bytes)
        return fd
    }

    /// Sends more of the request on `fd`.
    package static func send(_ fd: Int32, _ bytes: String) {
        _ = Array(bytes.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }
}

/// Starts a server with the routes `register` adds, then `clients` slow clients that each announce a
/// body of `announced` bytes and send `sent` of them with `headers` (raw header lines); runs `check` with
/// a function that posts to `path` meanwhile, the slow clients' sockets, and what the port's budget holds.
package func withSlowBody(
    path: String,
    announced: Int,
    sent: Int = 3,
    clients: Int = 1,
    headers: String = "",
    register: (Intake, Router<BridgeRequestContext>) -> @Sendable () -> Int,
    _ check: (
        _ post: @Sendable ([(String, String)], Data) async throws -> HTTPClientResponse,
        _ slow: [Int32],
        _ held: @Sendable () -> Int
    ) async throws -> Void
) async throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let router = Router(context: BridgeRequestContext.self)
    let held = register(Intake(store: try SQLiteStore(directory: dir.path)), router)
    let server = try await RunningServer.start(router: router)
    defer { server.stop() }
    var slow: [Int32] = []
    defer { for fd in slow { close(fd) } }
    for _ in 0..<clients {
        slow.append(
            try RawConnection.open(
                server.port,
                sending: "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(announced)\r\n"
                    + headers + "\r\n{" + String(repeating: " ", count: max(sent - 1, 0))
            )
        )
    }
    if sent > 0 { try await waitUntil("the slow bodies' bytes are held") { held() == sent * clients } }
    let client = CurlHTTPClient(threads: 1)
    try await check(
        { headers, body in
            try await client.execute(
                HTTPClientRequest(
                    method: "POST",
                    url: server.baseURL + path,
                    headers: [("Content-Type", "application/json")] + headers,
                    body: body
                )
            )
        },
        slow,
        held
    )
}

extension RawConnection {
    /// Reads what the server sends on `fd` until it closes the connection or `timeout` passes; `closed`
    /// tells which. The blocking reads run on a thread of their own: on the tasks' shared pool they
    /// would hold one of its few threads, which the server under test needs to answer.
    package static func readUntilClosed(_ fd: Int32, timeout: Duration) async -> (text: String, closed: Bool) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: blockingRead(fd, timeout: timeout)) }
        }
    }

    private static func blockingRead(_ fd: Int32, timeout: Duration) -> (text: String, closed: Bool) {
        var seconds = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &seconds, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return (String(decoding: received, as: UTF8.self), true) }
            if count < 0 { return (String(decoding: received, as: UTF8.self), false) }
            received += chunk[0..<count]
        }
    }
}
