import Effectiveness
import Foundation
import Testing

/// What `bridge report`, `/report` and `/dashboard` are asked for, and how a bad request names its field.
@Suite("Report request")
struct ReportRequestTests {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)

    static func field(since: String? = nil, from: String? = nil, to: String? = nil, by: String? = nil) -> String? {
        do {
            _ = try ReportRequest.parse(since: since, from: from, to: to, by: by, now: now)
            return nil
        } catch {
            return error.field
        }
    }

    @Test("defaults: the last 7 days, by workflow and channel")
    func defaults() throws {
        let request = try ReportRequest.parse(since: nil, from: nil, to: nil, by: nil, now: Self.now)
        #expect(request.to == Self.now)
        #expect(request.from == Self.now.addingTimeInterval(-7 * 86400))
        #expect(request.by == [.workflow, .channel])
    }

    @Test("from and to as dates or times")
    func period() throws {
        let request = try ReportRequest.parse(since: nil, from: "2026-11-01", to: "2026-11-02T12:00:00Z", by: "day,provider", now: Self.now)
        #expect(request.from == Date(timeIntervalSince1970: 1_793_491_200))
        #expect(request.to == Date(timeIntervalSince1970: 1_793_620_800))
        #expect(request.by == [.day, .provider])
    }

    @Test(
        "a bad request names its field",
        arguments: [
            (nil, "yesterday", nil, nil, "from"), (nil, nil, "soon", nil, "to"), ("forever", nil, nil, nil, "since"),
            ("7d", "2026-11-01", nil, nil, "since"), (nil, nil, nil, "workflow,color", "by"),
            (nil, "2026-12-01", "2026-11-01", nil, "from"),
        ] as [(String?, String?, String?, String?, String)]
    )
    func problems(since: String?, from: String?, to: String?, by: String?, field: String) {
        #expect(Self.field(since: since, from: from, to: to, by: by) == field)
    }
}
