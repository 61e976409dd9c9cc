import Delivery
import Foundation
import Hummingbird
import Metrics

/// Counts requests and times them, per port and status: `bridge_http_requests_total`,
/// `bridge_http_request_duration_seconds`.
struct HTTPMetrics<Context: RequestContext>: RouterMiddleware {
    let port: String
    /// Made once: asking the metrics backend for a timer takes a lock and a lookup.
    private let duration: Timer

    init(port: String) {
        self.port = port
        duration = Timer(label: "bridge_http_request_duration_seconds", dimensions: [("port", port)])
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(status: response.status.code, since: started)
            return response
        } catch {
            record(status: (error as? any HTTPResponseError)?.status.code ?? 500, since: started)
            throw error
        }
    }

    private func record(status: Int, since started: ContinuousClock.Instant) {
        CounterCache.httpRequests.increment([("port", port), ("status", String(status))])
        let elapsed = ContinuousClock.now - started
        duration.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
