import Delivery
import Foundation
import JSON
import Logging
import Outbound
import TestSupport
import Testing

/// What the segment port logs while its store cannot commit: every request is answered 503, but the
/// log gets one line per interval, not one per request.
@Suite("Store failure logging")
struct StoreFailureLogTests {
    @Test("a store that cannot commit: every request gets 503, the log one error line")
    func oneLinePerInterval() async throws {
        let recorder = RecordingLogHandler.Recorder()
        let store = ResilientStore { throw StoreError("database or disk is full") }
        let ingest = SegmentIngest(configuration: .init(), mapper: SegmentMapper(), intake: Intake(store: store), logger: recorder.logger())
        for index in 1...5 {
            let event: JSONValue = [
                "type": "identify", "messageId": .string("full-\(index)"), "userId": "u1", "traits": ["email": "a@example.com"],
            ]
            let answer = await ingest.handle(route: .webhook, body: Array(event.encoded()), signature: nil, authorization: nil)
            #expect(answer.status == 503)
        }
        let errors = recorder.logged.filter { $0.level == .error }
        #expect(errors.map(\.message) == ["store did not commit; answering 503 so Segment retries"])
    }
}
