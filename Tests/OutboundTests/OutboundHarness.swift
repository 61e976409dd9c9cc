import Delivery
import Foundation
import FrontDoor
import Hummingbird
import JSON
import Logging
import Outbound
import TestSupport

/// The Segment → Novu path with its real parts: the segment port on loopback, a SQLite file in a
/// temporary directory, the relay, the libcurl client, and a fake Novu that records what it gets.
final class OutboundHarness: Sendable {
    let directory: TemporaryDirectory
    let store: SQLiteStore
    let novu: FakeServer
    let relay: Relay
    let server: RunningServer
    let client = CurlHTTPClient(threads: 4)
    /// The Novu API version choice of this harness's destination.
    let versions = NovuAPIVersions()
    private let relayTask: Task<Void, any Error>

    struct Options: Sendable {
        var sharedSecret: String?
        var authTokens: [String] = []
        var writeKeys: Set<String> = []
        var rules = MappingRules()
        var apiKey: String? = "test-novu-key"
        var dryRun = false
        var bodyLimit = 8 * 1024 * 1024
        var bulkThreshold = 100
        /// Where the harness logs; quiet by default.
        var logger = quietLogger("outbound-test")
        var relay: Relay.Configuration = {
            var configuration = Relay.Configuration()
            configuration.backoffBase = .milliseconds(50)
            configuration.backoffCap = .milliseconds(400)
            configuration.holdProbeInterval = .milliseconds(300)
            return configuration
        }()
    }

    init(
        options: Options = Options(),
        novuResponder: @escaping FakeServer.Responder = { _ in novuProcessed }
    ) async throws {
        directory = try TemporaryDirectory()
        store = try SQLiteStore(directory: directory.path)
        novu = try await FakeServer.start(responder: novuResponder)
        let logger = options.logger
        var novuConfiguration = NovuDestination.Configuration(apiKey: options.apiKey, baseURL: novu.baseURL, dryRun: options.dryRun)
        novuConfiguration.bulkThreshold = options.bulkThreshold
        let relay = Relay(
            store: store,
            destinations: [NovuDestination(configuration: novuConfiguration, client: client, logger: logger, versions: versions)],
            configuration: options.relay,
            logger: logger
        )
        self.relay = relay
        var ingestConfiguration = SegmentIngest.Configuration(sharedSecret: options.sharedSecret, writeKeys: options.writeKeys)
        ingestConfiguration.authTokens = options.authTokens
        ingestConfiguration.bodyLimit = options.bodyLimit
        let ingest = SegmentIngest(
            configuration: ingestConfiguration,
            mapper: SegmentMapper(rules: options.rules),
            intake: Intake(store: store, wake: { relay.wake($0) }),
            logger: logger
        )
        let router = Router(context: BridgeRequestContext.self)
        SegmentRoutes(ingest: ingest).register(on: router)
        server = try await RunningServer.start(router: router)
        relayTask = Task { try await relay.run() }
    }

    /// Posts `body` to the segment port and returns the status and JSON answer.
    func post(
        _ path: String = "/",
        body: Data,
        headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
    ) async throws -> (status: Int, json: JSONValue) {
        let response = try await client.execute(
            HTTPClientRequest(method: "POST", url: server.baseURL + path, headers: headers, body: body)
        )
        return (response.status, (try? JSONValue.parse(response.body)) ?? .null)
    }

    func post(
        _ path: String = "/",
        json: JSONValue,
        headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
    )
        async throws -> (status: Int, json: JSONValue)
    {
        try await post(path, body: json.encoded(), headers: headers)
    }

    /// Novu requests to `path` so far.
    func novuRequests(_ path: String) -> [RecordedRequest] {
        novu.requests.filter { $0.path == path }
    }

    /// Waits until the store has no pending job left (everything delivered or dead-lettered).
    func drained() async throws {
        let store = store
        try await waitUntil("the queue drains") { try await store.pendingCount(destination: "novu") == 0 }
    }

    /// Stops the relay the way shutdown does, and waits until it has.
    func stopRelay() async {
        relayTask.cancel()
        _ = await relayTask.result
    }

    func stop() {
        relayTask.cancel()
        server.stop()
        novu.stop()
        directory.remove()
    }
}

/// `{"accepted":a,"duplicates":d,"ignored":i,"rejected":[…]}`.
func counts(_ json: JSONValue) -> (accepted: Int64, duplicates: Int64, ignored: Int64, rejected: Int) {
    func number(_ key: String) -> Int64 {
        if case .int(let value)? = json[key] { return value }
        return -1
    }
    return (number("accepted"), number("duplicates"), number("ignored"), json["rejected"]?.arrayValue?.count ?? -1)
}
