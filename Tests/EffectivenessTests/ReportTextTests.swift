import Foundation
import Testing

@testable import Effectiveness

/// `bridge report --format table|csv` (DESIGN §11): the same report as aligned text and as RFC 4180 CSV.
@Suite("Report as text")
struct ReportTextTests {
    static let email = FunnelRow(
        workflow: "cart",
        channel: "email",
        counts: FunnelCounts(triggered: 120, sent: 120, delivered: 115, opened: 46, clicked: 12, converted: 9, failed: 5),
        rates: FunnelRates(
            delivery: 115.0 / 120,
            open: 0.4,
            click: 12.0 / 115,
            clickToOpen: 12.0 / 46,
            conversion: 0.075,
            failure: 5.0 / 120
        ),
        times: FunnelTimes(medianToOpen: 42, p90ToOpen: 300, medianToConvert: 11_520, p90ToConvert: 181_440),
        maturing: true
    )
    static let inApp = FunnelRow(
        workflow: "cart",
        channel: "in_app",
        counts: FunnelCounts(triggered: 80, sent: 80, delivered: 80, opened: 30, clicked: 3, converted: 2, failed: 0),
        rates: FunnelRates(delivery: nil, open: 0.375, click: 0.0375, clickToOpen: 0.1, conversion: 0.025, failure: 0)
    )
    static let total = FunnelRow(
        counts: FunnelCounts(triggered: 1200, sent: 200, delivered: 195, opened: 76, clicked: 15, converted: 11, failed: 5),
        rates: FunnelRates(
            delivery: nil,
            open: 76.0 / 195,
            click: 15.0 / 195,
            clickToOpen: 15.0 / 76,
            conversion: 11.0 / 1200,
            failure: 0.025
        ),
        times: FunnelTimes(medianToOpen: 61),
        maturing: true
    )

    static func report(by: [FunnelDimension] = [.workflow, .channel], rows: [FunnelRow] = [email, inApp]) -> FunnelReport {
        let day = Date(timeIntervalSince1970: 1_796_000_000)
        return FunnelReport(from: day, to: day, generatedAt: day, by: by, rows: rows, total: total, daily: [], failures: [])
    }

    @Test("the table aligns columns under a header, names unavailable rates n/a, and ends with a TOTAL line")
    func table() {
        let expected = """
            workflow  channel  triggered  sent  delivered  opened  clicked  converted  failed  delivery%  open%  click%  click/open%  \
            conversion%  failure%  open_p50  open_p90  convert_p50  convert_p90  maturing
            --------  -------  ---------  ----  ---------  ------  -------  ---------  ------  ---------  -----  ------  -----------  \
            -----------  --------  --------  --------  -----------  -----------  --------
            cart      email          120   120        115      46       12          9       5      95.8%  40.0%   10.4%        26.1%  \
                   7.5%      4.2%       42s        5m         3.2h         2.1d  yes
            cart      in_app          80    80         80      30        3          2       0        n/a  37.5%    3.8%        10.0%  \
                   2.5%      0.0%         -         -            -            -  no
            --------  -------  ---------  ----  ---------  ------  -------  ---------  ------  ---------  -----  ------  -----------  \
            -----------  --------  --------  --------  -----------  -----------  --------
            TOTAL                  1,200   200        195      76       15         11       5        n/a  39.0%    7.7%        19.7%  \
                   0.9%      2.5%        1m         -            -            -  yes

            """
        #expect(Self.report().table() == expected)
    }

    @Test("with no grouping the table is the TOTAL line alone")
    func tableUngrouped() {
        let lines = Self.report(by: [], rows: [Self.total]).table().split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("       triggered  sent"))
        #expect(lines[2].hasPrefix("TOTAL      1,200   200"))
    }

    @Test("a control character in a workflow name cannot reach the terminal")
    func tableControlCharacters() {
        var row = Self.email
        row.workflow = "cart\u{1B}[2J"
        #expect(Self.report(rows: [row]).table().contains("cart?[2J"))
    }

    @Test("the CSV has a snake_case header, raw numbers, fractions for rates and empty fields for n/a")
    func csv() {
        let expected =
            "workflow,channel,triggered,sent,delivered,opened,clicked,converted,failed,delivery_rate,open_rate,click_rate,"
            + "click_to_open_rate,conversion_rate,failure_rate,median_to_open_seconds,p90_to_open_seconds,median_to_convert_seconds,"
            + "p90_to_convert_seconds,maturing\r\n"
            + "cart,email,120,120,115,46,12,9,5,0.9583,0.4,0.1043,0.2609,0.075,0.0417,42,300,11520,181440,yes\r\n"
            + "cart,in_app,80,80,80,30,3,2,0,,0.375,0.0375,0.1,0.025,0,,,,,no\r\n"
        #expect(Self.report().csv() == expected)
    }

    @Test(
        "CSV fields are quoted when they hold a comma, a quote or a line break (RFC 4180)",
        arguments: [
            ("cart", "cart"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("two\nlines", "\"two\nlines\""),
            ("cr\r\nlf", "\"cr\r\nlf\""), ("", ""),
        ]
    )
    func csvQuoting(field: String, expected: String) {
        #expect(FunnelReport.csvField(field) == expected)
        var row = Self.email
        row.workflow = field
        #expect(Self.report(rows: [row]).csv().contains("maturing\r\n" + expected + ",email,120,"))
    }

    @Test(
        "durations read as a person says them",
        arguments: [
            (nil, "-"), (0, "0s"), (42, "42s"), (59.4, "59s"), (59.6, "1m"), (300, "5m"), (3569, "59m"), (3600, "1.0h"),
            (11_520, "3.2h"), (86_340, "1.0d"), (181_440, "2.1d"), (-3, "0s"),
        ] as [(Double?, String)]
    )
    func duration(seconds: Double?, expected: String) {
        #expect(FunnelFormat.duration(seconds) == expected)
    }

    @Test(
        "rates read as percentages with one decimal, n/a when not available",
        arguments: [(nil, "n/a"), (0, "0.0%"), (2.0 / 3, "66.7%"), (1, "100.0%"), (0.0005, "0.1%")] as [(Double?, String)]
    )
    func percent(rate: Double?, expected: String) {
        #expect(FunnelFormat.percent(rate) == expected)
    }

    @Test(
        "counts are grouped by thousands",
        arguments: [(0, "0"), (999, "999"), (1000, "1,000"), (1_234_567, "1,234,567"), (-4200, "-4,200")]
    )
    func count(value: Int, expected: String) {
        #expect(FunnelFormat.count(value) == expected)
    }
}
