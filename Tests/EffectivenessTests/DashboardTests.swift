import Foundation
import Testing

@testable import Effectiveness

/// The dashboard page as a string (DESIGN §11): self-contained, escaped, honest about what it does not know.
@Suite("Dashboard page")
struct DashboardTests {
    static let from = Date(timeIntervalSince1970: 1_796_000_000)

    static func report(rows: [FunnelRow], daily: [FunnelRow]? = nil, failures: [FailureCount] = []) -> FunnelReport {
        var total = Dashboard.merged(rows)
        total.workflow = nil
        total.channel = nil
        return FunnelReport(
            from: from,
            to: from.addingTimeInterval(2 * 86400),
            generatedAt: from.addingTimeInterval(2 * 86400),
            by: [.workflow, .channel],
            rows: rows,
            total: total,
            daily: daily ?? [FunnelRow(day: "2026-11-30", counts: total.counts, rates: total.rates), FunnelRow(day: "2026-12-01")],
            failures: failures
        )
    }

    static func row(
        _ workflow: String,
        _ channel: String?,
        triggered: Int = 10,
        delivery: Double? = 0.9,
        maturing: Bool = false
    )
        -> FunnelRow
    {
        FunnelRow(
            workflow: workflow,
            channel: channel,
            counts: FunnelCounts(triggered: triggered, sent: 10, delivered: 9, opened: 4, clicked: 2, converted: 1, failed: 1),
            rates: FunnelRates(delivery: delivery, open: 4.0 / 9, click: 2.0 / 9, clickToOpen: 0.5, conversion: 0.1, failure: 0.1),
            maturing: maturing
        )
    }

    static let sample = Dashboard.page(
        report(
            rows: [row("cart", "email"), row("cart", "in_app", delivery: nil)],
            failures: [.init(reason: "bounced", channel: "email", count: 1)]
        ),
        query: DashboardQuery(since: "7d")
    )

    /// Every value of `attribute="…"` in `html`.
    static func attributes(_ attribute: String, in html: String) -> [String] {
        html.components(separatedBy: " \(attribute)=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }

    @Test("workflow names are escaped in text and in attributes")
    func escapesWorkflowNames() {
        let hostile = "<script>alert(\"x&y\")</script>'"
        let page = Dashboard.page(Self.report(rows: [Self.row(hostile, "email")]), query: DashboardQuery(since: "7d", workflow: hostile))
        #expect(!page.contains("<script"))
        #expect(page.contains(">&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;<"))
        #expect(page.contains("data-workflow=\"&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;\""))
        #expect(page.contains("value=\"&lt;script&gt;"))
    }

    @Test("the charts and tables carry the ids a test or a reader's tool looks for")
    func ids() {
        for id in ["<svg id=\"funnel\"", "<svg id=\"daily\"", "<table id=\"channels\"", "<table id=\"failures\"", "data-workflow=\"cart\""]
        {
            #expect(Self.sample.contains(id), "missing \(id)")
        }
        #expect(Self.sample.hasPrefix("<!DOCTYPE html>"))
        #expect(Self.sample.hasSuffix("</html>\n"))
    }

    @Test("the page names no host: every link is a query on the page itself, nothing is loaded")
    func selfContained() {
        let hrefs = Self.attributes("href", in: Self.sample)
        #expect(!hrefs.isEmpty)
        for href in hrefs { #expect(href.hasPrefix("?since="), "href \(href)") }
        for forbidden in ["http://", "https://", "<script", "src=", "url(", "@import", "<link", "//fonts", "action="] {
            #expect(!Self.sample.contains(forbidden), "the page contains \(forbidden)")
        }
    }

    @Test("a workflow's name links to the page filtered by it, keeping the period")
    func workflowLinks() {
        let page = Dashboard.page(Self.report(rows: [Self.row("cart abandoned&x", "email")]), query: DashboardQuery(since: "30d"))
        #expect(page.contains("href=\"?since=30d&amp;workflow=cart%20abandoned%26x\""))
    }

    @Test("period links keep the workflow filter and mark the current period; a hand-made period is one more")
    func periodLinks() {
        let page = Dashboard.page(Self.report(rows: [Self.row("cart", "email")]), query: DashboardQuery(since: "7d", workflow: "cart"))
        for period in ["1d", "30d", "90d"] { #expect(page.contains("<a href=\"?since=\(period)&amp;workflow=cart\">\(period)</a>")) }
        #expect(page.contains("<a href=\"?since=7d&amp;workflow=cart\" aria-current=\"page\">7d</a>"))
        #expect(page.contains("<a href=\"?since=7d\">show all workflows</a>"))
        let custom = Dashboard.page(Self.report(rows: [Self.row("cart", "email")]), query: DashboardQuery(since: "14d"))
        #expect(custom.contains("<a href=\"?since=14d\" aria-current=\"page\">14d</a>"))
        #expect(custom.contains("last 14 days"))
    }

    @Test("a rate the channel cannot report reads n/a, never 0 %")
    func notAvailable() throws {
        let table = try #require(Self.sample.components(separatedBy: "<table id=\"channels\"").last)
        let inApp = try #require(table.components(separatedBy: "<tr>").first { $0.contains("in-app") })
        #expect(inApp.contains(">n/a</td>"))
        #expect(!inApp.contains(">0.0%"))
        let email = try #require(table.components(separatedBy: "<tr>").first { $0.contains("email") })
        #expect(!email.contains("n/a"))
        #expect(email.contains("90.0%"))
    }

    @Test("a period with nothing triggered says so instead of drawing empty charts")
    func empty() {
        let empty = FunnelReport(
            from: Self.from,
            to: Self.from,
            generatedAt: Self.from,
            by: [.workflow, .channel],
            rows: [],
            total: FunnelRow(),
            daily: [],
            failures: []
        )
        let page = Dashboard.page(empty, query: DashboardQuery(since: "1d"))
        #expect(page.contains("No notifications triggered in this period."))
        #expect(!page.contains("id=\"funnel\""))
        #expect(page.contains("aria-current=\"page\">1d<"))
        #expect(!page.contains("n/a</td>"))
    }

    @Test("cohorts still maturing are marked, in the headline, the funnel and the daily chart")
    func maturing() {
        let young = Self.report(
            rows: [Self.row("cart", "email", maturing: true)],
            daily: [FunnelRow(day: "2026-11-30", counts: FunnelCounts(triggered: 3)), FunnelRow(day: "2026-12-01", maturing: true)]
        )
        let page = Dashboard.page(young, query: DashboardQuery())
        #expect(page.contains("class=\"maturing\""))
        #expect(page.contains("<g class=\"badge\""))
        #expect(page.contains("<g class=\"maturing-band\""))
        #expect(!Self.sample.contains("maturing-band\""))
        #expect(!Self.sample.contains("<g class=\"badge\""))
    }

    @Test("the daily chart has a legend, both axes labelled, a line per stage and the conversion rate per day")
    func daily() throws {
        let svg = try #require(Self.sample.components(separatedBy: "<svg id=\"daily\"").last?.components(separatedBy: "</svg>").first)
        for stage in ["triggered", "delivered", "opened", "converted"] {
            #expect(svg.contains("class=\"legend\" x=\"") && svg.contains(">\(stage)</text>"), "legend \(stage)")
            #expect(svg.contains("<polyline class=\"series\" data-stage=\"\(stage)\""), "line \(stage)")
        }
        #expect(svg.contains(">Nov 30</text>") && svg.contains(">Dec 1</text>"))
        #expect(svg.contains("text-anchor=\"end\">0</text>") && svg.contains("text-anchor=\"end\">10</text>"))
        #expect(svg.contains("<rect class=\"rate-bar\""))
        #expect(svg.contains(">10.0%</text>"))
    }

    @Test("triggers with no message yet are told apart, not drawn as a channel")
    func waiting() {
        let page = Dashboard.page(
            Self.report(rows: [Self.row("cart", nil, triggered: 4), Self.row("cart", "email")]),
            query: DashboardQuery()
        )
        #expect(page.contains("+ 4 triggered with no message yet"))
    }

    @Test(
        "HTML escaping",
        arguments: [
            ("plain", "plain"), ("a&b", "a&amp;b"), ("<b>", "&lt;b&gt;"), ("\"'", "&quot;&#39;"), ("bell\u{7}", "bell\u{FFFD}"),
            ("émoji 🚀", "émoji 🚀"),
        ]
    )
    func escape(input: String, expected: String) {
        #expect(HTML.escape(input) == expected)
    }

    @Test(
        "query values are percent-encoded so they cannot add a parameter",
        arguments: [("cart", "cart"), ("a b&c=d", "a%20b%26c%3Dd"), ("été", "%C3%A9t%C3%A9"), ("x-y_z.~", "x-y_z.~")]
    )
    func queryValue(input: String, expected: String) {
        #expect(HTML.queryValue(input) == expected)
    }

    @Test(
        "the daily axis takes a round step and a top above the largest value",
        arguments: [(0, 1, 1), (3, 1, 3), (7, 2, 8), (100, 50, 100), (1234, 500, 1500), (99_999, 50_000, 100_000)]
    )
    func axis(largest: Int, step: Int, ceiling: Int) {
        #expect(Dashboard.axis(largest) == (step, ceiling))
    }

    @Test(
        "periods read as a person says them",
        arguments: [("7d", "last 7 days"), ("1d", "last day"), ("12h", "last 12 hours"), ("2026", "since 2026")]
    )
    func periodName(since: String, expected: String) {
        #expect(Dashboard.periodName(since) == expected)
    }
}
