import Delivery
import Foundation
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

    @Test("a request forwarded by a proxy on this machine is remote: 403 ProtectedMode until authentication is set")
    func forwardedOverLoopback() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bridge = try BridgeProcess(dataDir: dir.path)
        let port = try await bridge.port("segment")
        let forwarded = [("X-Forwarded-For", "203.0.113.9")]
        let refused = try await request(port, "POST", "/", headers: forwarded, body: SegmentPort.trigger("fw-1"))
        #expect(refused.status == 403)
        #expect(refused.json["error"] == "ProtectedMode")
        #expect(refused.json["message"]?.stringValue?.contains("SEGMENT_AUTH_TOKEN") == true)
        let rfc7239 = [("Forwarded", "for=203.0.113.9;proto=https")]
        #expect(try await request(port, "POST", "/v1/track", headers: rfc7239, body: SegmentPort.trigger("fw-2")).status == 403)
        // From this machine itself the route still works (make run).
        #expect(try await request(port, "POST", "/", body: SegmentPort.trigger("fw-3")).status == 200)
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
    }

    @Test("no credential and no dry run: ingest answers 503 NotConfigured and /readyz says so; --dry-run takes the event")
    func explicitDryRun() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bridge = try BridgeProcess(dataDir: dir.path, environment: ["BRIDGE_DRY_RUN": "0", "BRIDGE_ACCEPT_UNSIGNED": "1"])
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
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
        #expect(try await SQLiteStore(directory: dir.path).stateCounts().isEmpty)

        let dry = try BridgeProcess(dataDir: dir.path, environment: ["BRIDGE_DRY_RUN": "0"], arguments: ["serve", "--dry-run"])
        #expect(try await request(try await dry.port("segment"), "POST", "/", body: SegmentPort.trigger("nc-2")).status == 200)
        dry.terminate()
        #expect(try await dry.waitForExit() == 0)
    }

    @Test("the admin surface: remote peers need BRIDGE_ADMIN_TOKEN for /metrics and the detail of /readyz")
    func adminSurface() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bridge = try BridgeProcess(dataDir: dir.path, environment: ["BRIDGE_ADMIN_TOKEN": "admin-token-0123456789"])
        let port = try await bridge.port("novu")
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
        #expect(!bridge.log.contains("admin-token-0123456789"))
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
    }
}
