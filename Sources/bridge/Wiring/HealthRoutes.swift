import Delivery
import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// `/healthz`, `/readyz` and `/metrics`, on both ports.
struct HealthRoutes: Sendable {
    let store: any DeliveryStore
    let status: RelayStatus

    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/healthz") { _, _ in Self.json(200, ["status": "ok"]) }
        router.get("/readyz") { _, _ in await readiness() }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: MetricsText.render(Observability.registry.emitToBuffer())))
            )
        }
    }

    /// Ready when the store takes writes and no destination is on hold.
    private func readiness() async -> Response {
        var problems: [JSONValue] = []
        do {
            try await store.probe()
        } catch {
            problems.append(.string("store cannot commit: \(error)"))
        }
        for held in status.held { problems.append(.string(held.reason)) }
        if problems.isEmpty { return Self.json(200, ["status": "ready"]) }
        return Self.json(503, ["status": "not ready", "problems": .array(problems)])
    }

    static func json(_ status: Int, _ body: JSONValue) -> Response {
        Response(
            status: .init(code: status),
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.encoded()))
        )
    }
}
