import Delivery
import Foundation
import TestSupport
import Testing

/// What serve says at start: routes no credential guards, destinations that run dry, a port it cannot open.
@Suite("startup warnings", .serialized)
struct StartupWarningTests {
    func warnings(_ environment: [String: String]) async throws -> [String] {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bridge = try BridgeProcess(dataDir: dir.path, environment: environment)
        _ = try await bridge.port("segment")
        _ = try await bridge.port("novu")
        // The warnings are logged before the ports start listening.
        let lines = bridge.logLines.filter { $0["level"] == "warning" }.compactMap { $0["message"]?.stringValue }
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
        return lines
    }

    @Test("each route left open is named with the variable that guards it; none when all are set")
    func openRoutes() async throws {
        let open = try await warnings(["BRIDGE_ACCEPT_UNSIGNED": "1"])
        #expect(open.contains { $0.hasPrefix("POST / and /segment accept requests from anyone: set SEGMENT_SHARED_SECRET") })
        #expect(open.contains { $0.hasPrefix("POST /v1/* accept requests from anyone: set BRIDGE_WRITE_KEYS") })
        #expect(open.contains { $0.contains("BRIDGE_ACCEPT_UNSIGNED=1") && $0.contains("NOVU_WEBHOOK_SECRET") })
        #expect(open.contains { $0.hasPrefix("dry run: NOVU_API_KEY is unset") })
        #expect(open.contains { $0.hasPrefix("dry run: SEGMENT_WRITE_KEY is unset") })

        let guarded = try await warnings([
            "SEGMENT_SHARED_SECRET": "shared-secret-0123456789", "BRIDGE_WRITE_KEYS": "wk-1",
            "NOVU_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "NOVU_API_KEY": "nk-secret-0123456789",
            "SEGMENT_WRITE_KEY": "sk-secret-0123456789",
        ])
        #expect(!guarded.contains { $0.contains("from anyone") || $0.hasPrefix("dry run") })
        #expect(!guarded.joined().contains("shared-secret-0123456789"))
    }

    @Test("a port in use stops serve with a message naming the address and the variable")
    func portInUse() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // A listening socket of the test's own holds a free port.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(holder, generic, length) == 0 && listen(holder, 1) == 0 && getsockname(holder, generic, &length) == 0
            }
        }
        try #require(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let serve = try await BridgeProcess.run(
            ["serve"],
            environment: [
                "BRIDGE_DATA_DIR": dir.path, "BRIDGE_HOST": "127.0.0.1", "BRIDGE_SEGMENT_PORT": "\(port)", "BRIDGE_NOVU_PORT": "0",
            ]
        )
        #expect(serve.status == 1)
        #expect((serve.output + serve.errors).contains("cannot listen on 127.0.0.1:\(port) (BRIDGE_SEGMENT_PORT"))
    }
}
