import Delivery
import Foundation
import JSON
import Logging
import Outbound

/// `make bench-backlog` helper: queues COUNT seed-convention triggers (over 1,000 users) straight into a
/// store, as a long Novu outage would leave it, so the benchmark can watch the bridge drain it.
/// Usage: BenchBacklog DATA_DIR COUNT
@main
struct BenchBacklog {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard arguments.count == 2, let count = Int(arguments.last ?? "") else {
            FileHandle.standardError.write(Data("usage: BenchBacklog DATA_DIR COUNT\n".utf8))
            exit(64)
        }
        let logger = Logger(label: "bench-backlog")
        let store = try SQLiteStore(directory: String(arguments.first ?? "."))
        let mapper = SegmentMapper()
        let run = UUID().uuidString.prefix(8)
        let started = Date()
        var queued = 0
        while queued < count {
            let jobs = (queued..<min(queued + 5000, count)).compactMap { index -> NewJob? in
                let user = "user-\(index % 1000)"
                let event = SegmentEvent(json: [
                    "type": "track", "event": "User Abandoned Cart", "messageId": .string("backlog-\(run)-\(index)"),
                    "userId": .string(user),
                    "properties": [
                        "name": "abandoned-cart-recovery-workflow", "environment": "development",
                        "user": ["subscriberId": .string(user), "firstName": "John", "lastName": "Doe"],
                        "cart": ["items": 3, "value": .double(129.5)],
                    ],
                ])
                guard case .send(let call, let key, let correlation) = mapper.map(event) else { return nil }
                return SegmentIngest.job(
                    call,
                    orderingKey: key,
                    correlation: correlation,
                    event: event.encoded,
                    messageId: event.messageId ?? ""
                )
            }
            _ = try await store.enqueue(jobs)
            queued += jobs.count
            if queued % 100_000 == 0 {
                logger.info("queued", metadata: ["jobs": "\(queued)", "seconds": "\(Int(Date().timeIntervalSince(started)))"])
            }
        }
        logger.notice(
            "backlog queued",
            metadata: ["jobs": "\(queued)", "seconds": "\(String(format: "%.1f", Date().timeIntervalSince(started)))"]
        )
    }
}
