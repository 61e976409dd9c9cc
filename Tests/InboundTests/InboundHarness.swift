import Delivery
import Foundation
import FrontDoor
import GRDB
import Hummingbird
import Inbound
import JSON
import Logging
import TestSupport

/// The Novu → Segment path with its real parts: the novu port on loopback, a SQLite file, the relay,
/// the libcurl client, and a fake Segment Tracking API.
final class InboundHarness: Sendable {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let writeKey = "segment-write-key"

    let directory: TemporaryDirectory
    let store: SQLiteStore
    let segment: FakeServer
    let server: RunningServer
    let client = CurlHTTPClient(threads: 4)
    let relay: Relay
    private let relayTask: Task<Void, any Error>

    init(
        secrets: [String] = [InboundHarness.secret],
        acceptUnsigned: Bool = false,
        writeKey: String? = InboundHarness.writeKey,
        dryRun: Bool = false,
        names: FeedbackNames = FeedbackNames(),
        segmentResponder: @escaping FakeServer.Responder = { _ in segmentAccepted }
    ) async throws {
        directory = try TemporaryDirectory()
        store = try SQLiteStore(directory: directory.path)
        segment = try await FakeServer.start(responder: segmentResponder)
        let logger = quietLogger("inbound-test")
        var relayConfiguration = Relay.Configuration()
        relayConfiguration.backoffBase = .milliseconds(50)
        relayConfiguration.backoffCap = .milliseconds(300)
        let relay = Relay(
            store: store,
            destinations: [
                SegmentDestination(
                    configuration: .init(writeKey: writeKey, baseURL: segment.baseURL, dryRun: dryRun),
                    client: client,
                    logger: logger
                )
            ],
            configuration: relayConfiguration,
            logger: logger
        )
        let ingest = NovuIngest(
            configuration: .init(signature: try SvixSignature(secrets: secrets), acceptUnsigned: acceptUnsigned),
            names: names,
            intake: Intake(store: store, wake: { relay.wake($0) }),
            logger: logger
        )
        let router = Router(context: BridgeRequestContext.self)
        NovuRoutes(ingest: ingest).register(on: router)
        server = try await RunningServer.start(router: router)
        self.relay = relay
        relayTask = Task { try await relay.run() }
    }

    /// Posts `body` signed with `secret` (or with `headers` as given).
    func post(
        body: Data,
        id: String = "msg_" + UUID().uuidString,
        secret: String = InboundHarness.secret,
        timestamp: Date = Date(),
        prefix: String = "webhook",
        headers: [(name: String, value: String)]? = nil
    ) async throws -> (status: Int, json: JSONValue) {
        let stamp = String(Int(timestamp.timeIntervalSince1970))
        let signature = try SvixSignature.sign(secret: secret, id: id, timestamp: stamp, body: Array(body))
        let sent =
            headers ?? [
                ("Content-Type", "application/json"), ("\(prefix)-id", id), ("\(prefix)-timestamp", stamp),
                ("\(prefix)-signature", signature),
            ]
        let response = try await client.execute(
            HTTPClientRequest(method: "POST", url: server.baseURL + "/webhooks/novu", headers: sent, body: body)
        )
        return (response.status, (try? JSONValue.parse(response.body)) ?? .null)
    }

    func post(json: JSONValue, id: String = "msg_" + UUID().uuidString) async throws -> (status: Int, json: JSONValue) {
        try await post(body: json.encoded(), id: id)
    }

    /// Events Segment accepted (answered 2xx), in order.
    var deliveredEvents: [JSONValue] {
        segment.requests.flatMap { $0.json["batch"]?.arrayValue ?? [] }
    }

    func drained() async throws {
        let store = store
        try await waitUntil("the segment queue drains") { try await store.pendingCount(destination: "segment") == 0 }
    }

    /// Makes every later commit fail inside SQLite, as a full disk would.
    func breakStore() throws {
        let queue = try DatabaseQueue(path: directory.file(SQLiteStore.fileName))
        try queue.write { db in
            try db.execute(sql: "CREATE TRIGGER fail_inserts BEFORE INSERT ON job BEGIN SELECT RAISE(FAIL, 'disk is full'); END")
        }
    }

    func stop() {
        relayTask.cancel()
        server.stop()
        segment.stop()
        directory.remove()
    }
}

/// A message webhook envelope.
func messageWebhook(
    type: String,
    channel: String,
    messageId: String = "6748f0c1a2b3c4d5e6f70001",
    subscriberId: String? = "user-1001",
    transactionId: String = "tx-unknown"
) -> JSONValue {
    var message: [String: JSONValue] = [
        "_id": .string(messageId), "workflowId": "order-shipped", "templateIdentifier": "order-shipped",
        "stepId": "step-1", "transactionId": .string(transactionId), "channel": .string(channel),
        "providerId": "provider-x", "status": "sent", "createdAt": "2026-11-28T10:00:04.100Z",
    ]
    if let subscriberId { message["subscriberId"] = .string(subscriberId) }
    var data: [String: JSONValue] = ["object": .object(message)]
    if type == "message.failed" { data["error"] = ["message": "provider refused"] }
    return [
        "id": .string("evt_\(messageId)_\(type)"), "type": .string(type), "object": "message",
        "timestamp": "2026-11-28T10:00:05.000Z", "environmentId": "env-1", "data": .object(data),
    ]
}
