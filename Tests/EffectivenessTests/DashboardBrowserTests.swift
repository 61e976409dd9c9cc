import Effectiveness
import Foundation
import TestSupport
import Testing

/// The dashboard in a real browser (Debian's `chromium`, headless), served over loopback: it renders,
/// and it fetches nothing from anywhere else. Skipped where chromium is not installed, except in CI.
@Suite("Dashboard in Chromium")
struct DashboardBrowserTests {
    static let chromiumMissing: Comment = "CI is set and chromium is not installed: apt-get install chromium"

    /// Serves `page` at every path of a loopback server, runs `body` with the dashboard's URL.
    static func serving<T>(_ page: String, _ body: (String) async throws -> T) async throws -> T {
        let server = try await FakeServer.start { request in
            request.path.hasPrefix("/dashboard") ? FakeResponse(status: 200, html: page) : FakeResponse(status: 404)
        }
        defer { server.stop() }
        return try await body(server.baseURL + "/dashboard?since=7d")
    }

    @Test("the page renders its charts in Chromium and requests nothing but itself", .enabled(if: HeadlessChromium.testsShouldRun))
    func rendersOffline() async throws {
        let chromium = try #require(HeadlessChromium.locate(), Self.chromiumMissing)
        let page = Dashboard.page(SampleFunnel.report(), query: DashboardQuery(since: "7d"))
        let load = try await Self.serving(page) { url in
            let load = try await chromium.load(url)
            #expect(load.requestedURLs.contains(url), "the net log has the page's own request: \(load.requestedURLs)")
            return load
        }
        #expect(load.dom.contains("id=\"funnel\""))
        #expect(load.dom.contains("id=\"daily\""))
        #expect(load.dom.contains("cart-abandoned"))
        #expect(load.dom.contains("data-workflow=\"welcome-series\""))
        for url in load.requestedURLs {
            #expect(URLComponents(string: url)?.host == "127.0.0.1", "the page requested \(url)")
        }
    }

    @Test("a workflow named like markup stays text in a real browser", .enabled(if: HeadlessChromium.testsShouldRun))
    func hostileWorkflowName() async throws {
        let chromium = try #require(HeadlessChromium.locate(), Self.chromiumMissing)
        let hostile = "<img src=\"http://198.51.100.7/pixel.png\"><script>document.title='owned'</script>"
        let page = Dashboard.page(SampleFunnel.report(extraWorkflow: hostile), query: DashboardQuery(since: "7d"))
        let load = try await Self.serving(page) { try await chromium.load($0) }
        #expect(load.dom.contains("&lt;img src=\"http://198.51.100.7/pixel.png\"&gt;&lt;script&gt;"))
        #expect(!load.dom.contains("owned</title>"))
        #expect(!load.requestedURLs.contains { $0.contains("198.51.100.7") })
        #expect(load.requestedURLs.allSatisfy { URLComponents(string: $0)?.host == "127.0.0.1" }, "\(load.requestedURLs)")
    }

    @Test("the net log reader tells the page's requests from the browser's own, even in a log cut short")
    func netLog() throws {
        let log = """
            {"constants":{"logEventTypes":{"REQUEST_ALIVE":1,"URL_REQUEST_START_JOB":2}},"events":[
            {"type":1,"params":{"url":"http://127.0.0.1:8/dashboard"}},
            {"type":2,"params":{"url":"http://127.0.0.1:8/dashboard","network_isolation_key":"http://127.0.0.1 http://127.0.0.1"}},
            {"type":2,"params":{"url":"https://update.example/check","network_isolation_key":"null null"}},
            {"type":2,"params":{"url":"https://cdn.example/font.woff","network_isolation_key":"http://127.0.0.1 http://127.0.0.1"}},
            {"type":2,"params":{"url":"http://127.0.0.1:8/favicon.ico"}}
            """
        let requests = HeadlessChromium.requests(inNetLog: Data((log + "]}").utf8))
        #expect(
            requests == [
                .init(url: "http://127.0.0.1:8/dashboard", topFrameSite: "http://127.0.0.1"),
                .init(url: "https://update.example/check", topFrameSite: "null"),
                .init(url: "https://cdn.example/font.woff", topFrameSite: "http://127.0.0.1"),
                .init(url: "http://127.0.0.1:8/favicon.ico", topFrameSite: nil),
            ]
        )
        // Cut short mid-event: what parses is read; what does not still shows every URL in it.
        #expect(HeadlessChromium.requests(inNetLog: Data(log.utf8)).count == 4)
        let broken = HeadlessChromium.requests(inNetLog: Data(log.dropLast(40).utf8))
        #expect(broken.map(\.url).contains("https://cdn.example/font.woff"))
    }

    /// Rewrites `docs/images/dashboard.png` from the sample fortnight:
    /// `WRITE_DASHBOARD_SCREENSHOT=1 swift test --filter DashboardBrowserTests/screenshot`.
    @Test(
        "the docs' screenshot of the dashboard",
        .enabled(if: ProcessInfo.processInfo.environment["WRITE_DASHBOARD_SCREENSHOT"] == "1")
    )
    func screenshot() async throws {
        let chromium = try #require(HeadlessChromium.locate(), "the screenshot needs chromium: apt-get install chromium")
        let path = Shared.packageRoot.appendingPathComponent("docs/images/dashboard.png").path
        let page = Dashboard.page(SampleFunnel.report(), query: DashboardQuery(since: "14d"))
        try await Self.serving(page) { url in
            _ = try await chromium.load(url, screenshot: .init(path: path, width: 1280, height: 2190))
        }
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        #expect(size > 10_000 && size < 300_000, "docs/images/dashboard.png is \(size) bytes")
    }
}
