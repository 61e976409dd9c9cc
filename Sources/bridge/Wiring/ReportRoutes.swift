import Delivery
import Effectiveness
import Foundation
import FrontDoor
import Hummingbird
import NIOCore

/// `GET /report` (the funnel as JSON, DESIGN §11) and `GET /dashboard` (the same as a page), on the novu
/// port. Admin surface like `/metrics`: remote peers need `BRIDGE_ADMIN_TOKEN`.
struct ReportRoutes: Sendable {
    let store: any FunnelStore
    let rules: ConversionRules
    let admin: AdminAccess

    func register<Context: PeerRequestContext>(on router: Router<Context>) {
        let guarded = router.group().add(middleware: AdminGuard(access: admin))
        guarded.get("/report") { request, _ in
            await answer(request) { report, _ in HealthRoutes.json(200, report.json) }
        }
        guarded.get("/dashboard") { request, _ in
            await answer(request) { report, query in
                Response(
                    status: .ok,
                    headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: Dashboard.page(report, query: query)))
                )
            }
        }
    }

    /// Parses the query (`since`, `from`, `to`, `by`, `workflow`), reads the facts and renders: `400` naming the
    /// parameter for a bad one, `503` when the store cannot be read.
    private func answer(_ request: Request, render: (FunnelReport, DashboardQuery) -> Response) async -> Response {
        let query = request.uri.queryParameters
        func value(_ name: String) -> String? { query[name[...]].map(String.init) }
        let now = Date()
        let asked: ReportRequest
        do {
            asked = try ReportRequest.parse(
                since: value("since"),
                from: value("from"),
                to: value("to"),
                by: value("by"),
                workflow: value("workflow"),
                now: now
            )
        } catch {
            return IngestAnswer.error(400, "InvalidReportQuery", error.description).response
        }
        do {
            // The latest second's steps too; a store that cannot write (full) still answers with what is folded.
            try? await store.foldAllFunnelSteps()
            let facts = try await store.funnelFacts(from: asked.from, to: asked.to)
            let report = asked.report(facts, rules: rules, now: now)
            return render(report, DashboardQuery(since: value("since") ?? ReportRequest.defaultSince, workflow: asked.workflow))
        } catch {
            return IngestAnswer.error(503, "StoreUnavailable", "the funnel cannot be read right now; retry later").response
        }
    }
}
