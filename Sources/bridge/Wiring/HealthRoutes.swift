import Delivery
import Foundation
import FrontDoor
import Hummingbird
import JSON
import NIOCore
import Outbound
import Prometheus

/// `/healthz`, `/readyz` and `/metrics`, on both ports.
///
/// `/metrics` is admin surface (`AdminGuard` refuses it to remote peers without the token); `/readyz`
/// answers everyone with its status code, and its detail (what is wrong, which may name paths and
/// errors) only to whom `AdminAccess` allows.
struct HealthRoutes: Sendable {
    /// The store's last commit and background probe: read without touching the disk, so anyone may ask.
    let storeHealth: StoreHealth
    let capacity: StoreCapacity
    let status: RelayStatus
    let admin: AdminAccess
    /// Directions whose credential is missing (`BridgeConfiguration.novuNotConfigured`, …).
    let notConfigured: [String]
    /// The Novu API version in use (`v2`, or the v1 fallbacks taken), shown as `novu_api`.
    let novuVersions: NovuAPIVersions

    func register<Context: PeerRequestContext>(on router: Router<Context>) {
        router.get("/healthz") { _, _ in Self.json(200, ["status": "ok"]) }
        router.get("/readyz") { request, context in
            await readiness(detailed: admin.allows(request, peer: context.peer(of: request)))
        }
        router.group().add(middleware: AdminGuard(access: admin)).get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: MetricsText.render(Observability.registry.emitToBuffer())))
            )
        }
    }

    /// Ready when the store takes writes, is not over its size cap, and no destination is on hold. A direction that is not
    /// configured is listed but does not make the bridge unready: the other direction still works.
    private func readiness(detailed: Bool) async -> Response {
        var problems: [JSONValue] = []
        let store = storeHealth.current
        if let problem = store.problem { problems.append(.string(problem)) }
        if let full = capacity.status.problem { problems.append(.string(full)) }
        for held in status.held { problems.append(.string(held.reason)) }
        let ready = problems.isEmpty
        guard detailed else { return Self.json(ready ? 200 : 503, ["ready": .bool(ready)]) }
        var body: [String: JSONValue] = [
            "status": ready ? "ready" : "not ready", "ready": .bool(ready), "novu_api": .string(novuVersions.summary),
        ]
        if !problems.isEmpty { body["problems"] = .array(problems) }
        if !notConfigured.isEmpty { body["not_configured"] = .array(notConfigured.map { .string($0) }) }
        return Self.json(ready ? 200 : 503, .object(body))
    }

    static func json(_ status: Int, _ body: JSONValue) -> Response {
        Response(
            status: .init(code: status),
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.encoded()))
        )
    }
}
