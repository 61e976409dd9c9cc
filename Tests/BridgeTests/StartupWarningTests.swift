import Delivery
import Foundation
import JSON
import TestSupport
import Testing

/// What serve says at start: routes no credential guards, destinations that run dry, a port it cannot open.
@Suite("startup warnings", .serialized)
struct StartupWarningTests {
    func warnings(_ environment: [String: String], level: String = "warning") async throws -> [String] {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bridge = try BridgeProcess(dataDir: dir.path, environment: environment)
        _ = try await bridge.port("segment")
        _ = try await bridge.port("novu")
        // The warnings are logged before the ports start listening.
        let lines = bridge.logLines.filter { $0["level"]?.stringValue == level }.compactMap { $0["message"]?.stringValue }
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
        return lines
    }

    @Test("each route without authentication is named with its variable: protected mode, or from anyone when allowed")
    func openRoutes() async throws {
        let environment = ["BRIDGE_ACCEPT_UNSIGNED": "1"]
        let protected = try await warnings(environment, level: "notice")
        #expect(protected.contains { $0.hasPrefix("POST / and /segment have no authentication") && $0.contains("set SEGMENT_AUTH_TOKEN") })
        #expect(protected.contains { $0.hasPrefix("POST /v1/* have no authentication") && $0.contains("set BRIDGE_WRITE_KEYS") })
        #expect(protected.contains { $0.contains("BRIDGE_ACCEPT_UNSIGNED=1") && $0.contains("NOVU_WEBHOOK_SECRET") })

        let open = try await warnings(environment.merging(["BRIDGE_ALLOW_UNAUTHENTICATED": "1"]) { $1 })
        #expect(open.contains { $0.hasPrefix("POST / and /segment accept requests from anyone (BRIDGE_ALLOW_UNAUTHENTICATED=1)") })
        #expect(open.contains { $0.hasPrefix("dry run (BRIDGE_DRY_RUN=1)") })

        let guarded = try await warnings([
            "SEGMENT_AUTH_TOKEN": "auth-token-0123456789", "BRIDGE_WRITE_KEYS": "wk-1",
            "NOVU_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "NOVU_API_KEY": "nk-secret-0123456789",
            "SEGMENT_WRITE_KEY": "sk-secret-0123456789",
        ])
        #expect(guarded.isEmpty, "\(guarded)")
        #expect(!guarded.joined().contains("auth-token-0123456789"))
    }

    @Test("without a credential and without dry run, each direction says it is not configured; signature alone is advised against")
    func notConfigured() async throws {
        let lines = try await warnings(["BRIDGE_DRY_RUN": "0", "SEGMENT_SHARED_SECRET": "shared-secret-0123456789"])
        #expect(lines.contains { $0.hasPrefix("not configured: NOVU_API_KEY is not set") })
        #expect(lines.contains { $0.hasPrefix("not configured: SEGMENT_WRITE_KEY is not set") })
        #expect(lines.contains { $0.hasPrefix("SEGMENT_SHARED_SECRET alone authenticates only the first event") })
        #expect(!lines.joined().contains("shared-secret-0123456789"))
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
