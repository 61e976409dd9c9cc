import Delivery
import Foundation
import JSON
import TestSupport
import Testing

/// The front door of the real binary: protected mode behind a proxy, an explicit dry run, and the admin
/// surface (DESIGN §9).
@Suite("front door", .serialized)
struct FrontDoorProcessTests {
    let client = CurlHTTPClient(threads: 1)

    func request(
        _ port: Int,
        _ method: String,
        _ path: String,
        headers: [(String, String)] = [],
        body: JSONValue? = nil
    ) async throws -> (status: Int, json: JSONValue) {
        let response = try await client.execute(
            HTTPClientRequest(
                method: method,
                url: "http://127.0.0.1:\(port)\(path)",
                headers: [("Content-Type", "application/json")] + headers,
                body: body?.encoded() ?? Data()
            )
        )
        return (response.status, (try? JSONValue.parse(response.body)) ?? .null)
    }

    /// Runs `check` with a bridge serving from a fresh data directory, then stops it and expects exit 0.
    func withBridge(
        _ environment: [String: String] = [:],
        _ check: (BridgeProcess, TemporaryDirectory) async throws -> Void
    ) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bridge = try BridgeProcess(dataDir: dir.path, environment: environment)
        try await check(bridge, dir)
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
    }

    @Test("a request forwarded by a proxy on this machine is remote: 403 ProtectedMode until authentication is set")
    func forwardedOverLoopback() async throws {
        try await withBridge { bridge, _ async throws in try await checkForwarded(try await bridge.port("segment")) }
    }

    func checkForwarded(_ port: Int) async throws {
        let forwarded = [("X-Forwarded-For", "203.0.113.9")]
        let refused = try await request(port, "POST", "/", headers: forwarded, body: SegmentPort.trigger("fw-1"))
        #expect(refused.status == 403)
        #expect(refused.json["error"] == "ProtectedMode")
        #expect(refused.json["message"]?.stringValue?.contains("SEGMENT_AUTH_TOKEN") == true)
        let rfc7239 = [("Forwarded", "for=203.0.113.9;proto=https")]
        #expect(try await request(port, "POST", "/v1/track", headers: rfc7239, body: SegmentPort.trigger("fw-2")).status == 403)
        // From this machine itself the route still works (make run).
        #expect(try await request(port, "POST", "/", body: SegmentPort.trigger("fw-3")).status == 200)
    }

    @Test("no credential and no dry run: ingest answers 503 NotConfigured and /readyz says so; --dry-run takes the event")
    func explicitDryRun() async throws {
        try await withBridge(["BRIDGE_DRY_RUN": "0", "BRIDGE_ACCEPT_UNSIGNED": "1"]) { bridge, dir async throws in
            try await checkNotConfigured(bridge)
            // Nothing was queued; with --dry-run the same event is taken.
            #expect(try await SQLiteStore(directory: dir.path).stateCounts().isEmpty)
        }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let dry = try BridgeProcess(dataDir: dir.path, environment: ["BRIDGE_DRY_RUN": "0"], arguments: ["serve", "--dry-run"])
        #expect(try await request(try await dry.port("segment"), "POST", "/", body: SegmentPort.trigger("nc-2")).status == 200)
        dry.terminate()
        #expect(try await dry.waitForExit() == 0)
    }

    func checkNotConfigured(_ bridge: BridgeProcess) async throws {
        let segment = try await bridge.port("segment")
        let refused = try await request(segment, "POST", "/", body: SegmentPort.trigger("nc-1"))
        #expect(refused.status == 503)
        #expect(refused.json["error"] == "NotConfigured")
        #expect(refused.json["message"]?.stringValue?.contains("set NOVU_API_KEY") == true)
        let webhook = try await NovuPort.postUnsigned(
            try await bridge.port("novu"),
            try Shared.fixture("novu-message-delivered-email.json"),
            client: client
        )
        #expect(webhook.status == 503)
        let ready = try await request(segment, "GET", "/readyz")
        #expect(ready.json["not_configured"]?.arrayValue?.count == 2)
    }

    @Test("the admin surface: remote peers need BRIDGE_ADMIN_TOKEN for /metrics and the detail of /readyz")
    func adminSurface() async throws {
        try await withBridge(["BRIDGE_ADMIN_TOKEN": "admin-token-0123456789"]) { bridge, _ async throws in
            try await checkAdmin(try await bridge.port("novu"))
            #expect(!bridge.log.contains("admin-token-0123456789"))
        }
    }

    func checkAdmin(_ port: Int) async throws {
        let remote = [("X-Forwarded-For", "203.0.113.9")]
        #expect(try await request(port, "GET", "/metrics", headers: remote).status == 401)
        // Other spellings of the same route are the same route.
        #expect(try await request(port, "GET", "/metrics/", headers: remote).status == 401)
        #expect(try await request(port, "GET", "//metrics", headers: remote).status == 401)
        let bare = try await request(port, "GET", "/readyz", headers: remote)
        #expect(bare.status == 200)
        #expect(bare.json == ["ready": true])
        let admin = remote + [("Authorization", "Bearer admin-token-0123456789")]
        #expect(try await request(port, "GET", "/metrics", headers: admin).status == 200)
        let detailed = try await request(port, "GET", "/readyz", headers: admin)
        #expect(detailed.json["status"] == "ready")
        // This machine itself needs no token; /healthz is for everyone.
        #expect(try await request(port, "GET", "/metrics").status == 200)
        #expect(try await request(port, "GET", "/healthz", headers: remote).status == 200)
    }
}
