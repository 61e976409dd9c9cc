import Delivery
import Foundation
import TestSupport
import Testing

/// What serve says at start about routes no credential guards and destinations that run dry.
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
}
