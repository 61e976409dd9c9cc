import Delivery
import Foundation
import Hummingbird
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection to loopback driven byte by byte: for a client that sends its request slowly, which
/// an HTTP client library cannot be made to do.
public enum RawConnection {
    /// Opens a connection to `port` on loopback and sends `bytes`; returns the socket.
    public static func open(_ port: Int, sending bytes: String) throws -> Int32 {
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
    public static func send(_ fd: Int32, _ bytes: String) {
        _ = Array(bytes.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }
}

/// While a slow client's body holds a port's budget (`budget` bytes, less a little), a POST of `body` to
/// `path` must get 503 until the slow body ends, and be taken (any other status) after.
public func checkBusyWhileHeld(
    path: String,
    budget: Int,
    body: Data,
    register: (Intake, Router<BasicRequestContext>) -> @Sendable () -> Int
) async throws {
    let announced = budget - 20
    try await withBudgetHeld(path: path, holding: announced, register: register) { post, slow in
        #expect(try await post([], body).status == 503)
        // The slow body ends (as invalid JSON); its bytes are given back.
        RawConnection.send(slow, String(repeating: " ", count: announced - 3))
        try await waitUntil("requests are taken again") { try await post([], body).status != 503 }
    }
}

/// Starts a server with the routes `register` adds, then a slow client whose body, announced as `holding`
/// bytes and sent with `headers` (raw header lines), holds that much of the port's body budget; runs
/// `check` with a function that posts to `path` meanwhile, and the slow client's socket.
/// `register` returns how much of the budget is taken.
public func withBudgetHeld(
    path: String,
    holding announced: Int,
    headers: String = "",
    register: (Intake, Router<BasicRequestContext>) -> @Sendable () -> Int,
    _ check: (_ post: @Sendable ([(String, String)], Data) async throws -> HTTPClientResponse, _ slow: Int32) async throws -> Void
) async throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let router = Router()
    let reserved = register(Intake(store: try SQLiteStore(directory: dir.path)), router)
    let server = try await RunningServer.start(router: router)
    defer { server.stop() }
    let slow = try RawConnection.open(
        server.port,
        sending: "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(announced)\r\n"
            + headers + "\r\n{  "
    )
    defer { close(slow) }
    try await waitUntil("the slow body holds its bytes") { reserved() == announced }
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
        slow
    )
}
