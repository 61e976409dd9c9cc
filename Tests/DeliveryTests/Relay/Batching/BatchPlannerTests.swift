import Delivery
import Foundation
import Testing

@Suite("Batch planning: one packer and one split rule for every destination")
struct BatchPlannerTests {
    /// Segment's batches and Novu's bulk requests, as the destinations declare them.
    static let segment = BatchLimits(maxItems: 2500, maxBytes: 475_000, envelopeBytes: 64, maxItemBytes: 32 * 1024)
    static let novu = BatchLimits(maxItems: 100, maxBytes: 512 * 1024, envelopeBytes: 13)

    static let packing: [(limits: BatchLimits, sizes: [Int], batches: [Int], oversize: [Int])] = [
        // 2,500 small events fit one batch; the 2,501st starts the next.
        (segment, Array(repeating: 100, count: 2500), [2500], []),
        (segment, Array(repeating: 100, count: 2501), [2500, 1], []),
        // 20 events of 23,750 bytes are 475,000 bytes alone: over the limit once the envelope counts; 19 fit.
        (segment, Array(repeating: 23_750, count: 20), [19, 1], []),
        (segment, Array(repeating: 23_750, count: 19), [19], []),
        // An event over 32 KiB goes alone and does not sink the others.
        (segment, [100, 40_000, 100], [2], [1]),
        // Novu: 100 events a request; 100 KB calls, five to 512 KB.
        (novu, Array(repeating: 300, count: 250), [100, 100, 50], []),
        (novu, Array(repeating: 100 * 1024, count: 12), [5, 5, 2], []),
        // A single item larger than a request still gets one of its own (its destination judges it).
        (novu, [600 * 1024], [1], []),
        (novu, [], [], []),
    ]

    @Test("items are packed in order within the item, byte and envelope limits", arguments: packing)
    func pack(_ limits: BatchLimits, _ sizes: [Int], _ batches: [Int], _ oversize: [Int]) {
        let packed = BatchPlanner.pack(sizes: sizes, limits: limits)
        #expect(packed.batches.map(\.count) == batches)
        #expect(packed.oversize == oversize)
        #expect((packed.batches.flatMap { $0 } + packed.oversize).sorted() == Array(sizes.indices))
        for batch in packed.batches where batch.count > 1 {
            let bytes = limits.envelopeBytes + batch.reduce(0) { $0 + sizes[$1] } + batch.count - 1
            #expect(bytes <= limits.maxBytes)
        }
    }

    static func job(_ id: Int64, kind: String = "trigger", lastStatus: Int? = nil) -> ClaimedJob {
        ClaimedJob(id: id, destination: "d", orderingKey: "u\(id)", kind: kind, payload: Data(count: 10), lastStatus: lastStatus)
    }

    @Test("a job whose last answer was a refusal goes alone; a retryable answer keeps it sharable")
    func splitRule() {
        let planner = BatchPlanner(limits: Self.novu)
        let jobs = [Self.job(1, lastStatus: 400), Self.job(2, lastStatus: 503), Self.job(3, lastStatus: 429), Self.job(4)]
        #expect(planner.plan(jobs).map { $0.map(\.id) } == [[2, 3, 4], [1]])
        #expect(BatchPlanner.verdict(.refused, forEachOf: 3) == .split)
        #expect(BatchPlanner.verdict(.refused, forEachOf: 1) == .refused)
        #expect(BatchPlanner.verdict(.retry, forEachOf: 3) == .retry)
    }

    @Test("jobs the destination cannot share, or too few to share, go one request each")
    func sharableAndMinimum() {
        let planner = BatchPlanner(limits: Self.novu, minimumShared: 3, sharable: { $0.kind == "trigger" })
        let jobs = [Self.job(1), Self.job(2, kind: "subscriber.upsert"), Self.job(3)]
        #expect(planner.plan(jobs).map { $0.map(\.id) } == [[1], [3], [2]])
        let enough = planner.plan([Self.job(1), Self.job(3), Self.job(4), Self.job(2, kind: "topic")])
        #expect(enough.map { $0.map(\.id) } == [[1, 3, 4], [2]])
    }

    @Test("while gathering, the jobs beyond the last full request wait; without gathering none does")
    func gathering() {
        let limits = BatchLimits(maxItems: 4, maxBytes: 10_000, envelopeBytes: 0)
        let waits = BatchPlanner(limits: limits, waitsForFullRequests: true)
        let jobs = (1...6).map { Self.job(Int64($0)) }
        let (requests, waiting) = waits.plan(jobs, gathering: true)
        #expect(requests.map { $0.map(\.id) } == [[1, 2, 3, 4]])
        #expect(waiting.map(\.id) == [5, 6])
        #expect(waits.plan(jobs, gathering: false).waiting.isEmpty)
        #expect(BatchPlanner(limits: limits).plan(jobs, gathering: true).waiting.isEmpty)
    }
}
