import Delivery
import Foundation
import Inbound
import JSON
import TestSupport
import Testing

/// Both directions in one process: the built binary between a fake Novu and a fake Segment.
@Suite("Feedback loop")
struct FeedbackLoopTests {
    @Test("a Segment event triggers Novu; Novu's webhook for it comes back to Segment linked to its cause")
    func attribution() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let novu = try await FakeServer.start { _ in novuProcessed }
        defer { novu.stop() }
        let segment = try await FakeServer.start { _ in segmentAccepted }
        defer { segment.stop() }
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let bridge = try BridgeProcess(
            dataDir: dir.path,
            environment: [
                "NOVU_API_KEY": "novu-key", "NOVU_API_URL": novu.baseURL, "SEGMENT_WRITE_KEY": "segment-key",
                "SEGMENT_API_URL": segment.baseURL, "NOVU_WEBHOOK_SECRET": secret,
            ]
        )
        let segmentPort = try await bridge.port("segment")
        let novuPort = try await bridge.port("novu")
        let client = CurlHTTPClient(threads: 2)

        let posted = try await client.execute(
            HTTPClientRequest(
                method: "POST",
                url: "http://127.0.0.1:\(segmentPort)/",
                headers: [("Content-Type", "application/json")],
                body: try Shared.fixture("segment-seed-track.json")
            )
        )
        #expect(posted.status == 200)
        let trigger = try #require(try await novu.waitForRequests(1).first)
        let transactionId = try #require(trigger.json["transactionId"]?.stringValue)

        // Novu delivers the email and tells us, carrying the transaction id of our trigger.
        let webhook = try JSONValue.parse(try Shared.fixture("novu-message-delivered-email.json"))
        #expect(webhook["data"]?["object"]?["transactionId"]?.stringValue == transactionId)
        let delivered = try await NovuPort.postSigned(novuPort, webhook.encoded(), secret: secret, id: "msg_loop_1", client: client)
        #expect(delivered.status == 200)
        let batch = try #require(try await segment.waitForRequests(1).first)
        #expect(batch.headers["authorization"] == "Basic " + Data("segment-key:".utf8).base64EncodedString())
        let event = try #require(batch.json["batch"]?.arrayValue?.first)
        #expect(event["event"] == "Email Delivered")
        #expect(event["userId"] == "63da8ee0c037e013fd790ffd")
        #expect(event["properties"]?["trigger_event"] == "User Abandoned Cart")
        #expect(event["properties"]?["trigger_message_id"] == "ajs-next-1732873200000-5c1d9f2e-8a47-4b6e-9d11-2f0c3b7a9e41")
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
        // After the exit, so the log holds every line the process wrote, shutdown's included.
        #expect(!bridge.log.contains("novu-key"))
        #expect(!bridge.log.contains("segment-key"))
    }

    @Test("feedback reaches Segment while every Novu send hangs: each lane has its own curl threads")
    func lanesDoNotStarve() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // Novu takes every trigger and answers only after 60 s.
        let novu = try await FakeServer.start { _ in FakeResponse(status: 201, delay: .seconds(60)) }
        defer { novu.stop() }
        let segment = try await FakeServer.start { _ in segmentAccepted }
        defer { segment.stop() }
        let bridge = try BridgeProcess(
            dataDir: dir.path,
            environment: [
                "NOVU_API_KEY": "novu-key", "NOVU_API_URL": novu.baseURL, "SEGMENT_WRITE_KEY": "segment-key",
                "SEGMENT_API_URL": segment.baseURL, "BRIDGE_ACCEPT_UNSIGNED": "1", "NOVU_CONCURRENCY": "4",
                "BRIDGE_SHUTDOWN_TIMEOUT": "1s",
            ]
        )
        let segmentPort = try await bridge.port("segment")
        let novuPort = try await bridge.port("novu")
        let client = CurlHTTPClient(threads: 1)
        // Four users' triggers: the Novu lane's four sends, all hanging.
        for user in 1...4 {
            #expect(try await SegmentPort.post(segmentPort, SegmentPort.trigger("starve-\(user)", user: "u\(user)"), client: client) == 200)
        }
        _ = try await novu.waitForRequests(4)
        let webhook = try await NovuPort.postUnsigned(novuPort, try Shared.fixture("novu-message-delivered-email.json"), client: client)
        #expect(webhook.status == 200)
        // With one pool of NOVU_CONCURRENCY threads for both lanes, the batch waited for a Novu send to end.
        let batch = try #require(try await segment.waitForRequests(1, timeout: .seconds(10)).first)
        #expect(batch.json["batch"]?.arrayValue?.first?["event"] == "Email Delivered")
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
    }
}
