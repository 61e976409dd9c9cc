import Delivery
import Foundation
import FrontDoor
import Hummingbird
import JSON
import Outbound
import TestSupport
import Testing

/// A route without authentication takes requests from this machine only (DESIGN §9).
@Suite("Protected mode, segment port")
struct ProtectedModeTests {
    /// Serves the segment port's routes, with `configuration`, over a fresh store, as if every client
    /// were on another machine (`RemotePeerContext`) or on this one; runs `check` with the server and the store.
    func withServer<Context: PeerRequestContext>(
        _ configuration: SegmentIngest.Configuration,
        context: Context.Type = RemotePeerContext.self,
        capacity: StoreCapacity? = nil,
        _ check: (RunningServer, SQLiteStore) async throws -> Void
    ) async throws where Context.Source == ApplicationRequestContextSource {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        let ingest = SegmentIngest(
            configuration: configuration,
            mapper: SegmentMapper(),
            intake: Intake(store: store, capacity: capacity),
            logger: quietLogger("protected")
        )
        let router = Router(context: context)
        SegmentRoutes(ingest: ingest).register(on: router)
        let server = try await RunningServer.start(router: router)
        defer { server.stop() }
        try await check(server, store)
    }

    static let event = Data(#"{"type":"identify","messageId":"pm-1","userId":"u1"}"#.utf8)

    func post(_ server: RunningServer, _ path: String, headers: [(String, String)] = []) async throws -> (Int, JSONValue) {
        let response = try await CurlHTTPClient(threads: 1).execute(
            HTTPClientRequest(
                method: "POST",
                url: server.baseURL + path,
                headers: [("Content-Type", "application/json")] + headers,
                body: Self.event
            )
        )
        return (response.status, (try? JSONValue.parse(response.body)) ?? .null)
    }

    @Test("no authentication configured: a remote request gets 403 ProtectedMode naming the variable, and nothing is queued")
    func refusedFromAnotherMachine() async throws {
        try await withServer(.init()) { server, store async throws in
            let (status, json) = try await post(server, "/")
            #expect(status == 403)
            #expect(json["error"] == "ProtectedMode")
            #expect(json["message"]?.stringValue?.contains("SEGMENT_AUTH_TOKEN") == true)
            let (v1, v1json) = try await post(server, "/v1/identify")
            #expect(v1 == 403)
            #expect(v1json["message"]?.stringValue?.contains("BRIDGE_WRITE_KEYS") == true)
            #expect(try await store.stateCounts().isEmpty)
        }
    }

    @Test("BRIDGE_ALLOW_UNAUTHENTICATED=1 lifts it; a configured token or write keys make the route authenticated")
    func liftedOrAuthenticated() async throws {
        var allowed = SegmentIngest.Configuration()
        allowed.allowUnauthenticated = true
        try await withServer(allowed) { server, _ async throws in #expect(try await post(server, "/").0 == 200) }

        var guarded = SegmentIngest.Configuration(writeKeys: ["wk"])
        guarded.authTokens = ["tok"]
        try await withServer(guarded) { server, _ async throws in
            #expect(try await post(server, "/", headers: [("Authorization", "Bearer tok")]).0 == 200)
            #expect(try await post(server, "/", headers: [("Authorization", "Bearer nope")]).0 == 401)
            let basic = "Basic " + Data("wk:".utf8).base64EncodedString()
            #expect(try await post(server, "/v1/identify", headers: [("Authorization", basic)]).0 == 200)
        }
    }

    @Test("a Novu that is not configured makes ingest answer 503 NotConfigured, so Segment keeps the event")
    func notConfigured() async throws {
        var configuration = SegmentIngest.Configuration()
        configuration.authTokens = ["tok"]
        configuration.notConfigured = "NOVU_API_KEY is not set"
        try await withServer(configuration) { server, store async throws in
            let (status, json) = try await post(server, "/", headers: [("Authorization", "Bearer tok")])
            #expect(status == 503)
            #expect(json["error"] == "NotConfigured")
            #expect(try await store.stateCounts().isEmpty)
        }
    }

    @Test("above BRIDGE_MAX_STORE_BYTES ingest answers 503 StoreFull and queues nothing")
    func storeFull() async throws {
        let capacity = StoreCapacity(limit: 1_000_000, logger: quietLogger("capacity")) { 2_000_000 }
        try await capacity.refresh()
        try await withServer(.init(), context: BridgeRequestContext.self, capacity: capacity) { server, store async throws in
            let (status, json) = try await post(server, "/")
            #expect(status == 503)
            #expect(json["error"] == "StoreFull")
            #expect(json["message"]?.stringValue?.contains("BRIDGE_MAX_STORE_BYTES") == true)
            #expect(try await store.stateCounts().isEmpty)
        }
    }
}
