import Foundation
import FuzzChecks
import Testing

/// The fuzz targets' seed corpus, through the same checks libFuzzer runs (`make fuzz`): a property that
/// breaks on a seed fails here, in every `make test`, not only in the fuzz run.
@Suite("Fuzz checks over the seed corpus")
struct FuzzChecksTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    static let checks: [(target: String, check: @Sendable ([UInt8]) -> Void)] = [
        ("FuzzJSON", FuzzChecks.json),
        ("FuzzSegmentBody", FuzzChecks.segmentBody),
        ("FuzzNovuWebhook", FuzzChecks.novuWebhook),
        ("FuzzMappingFile", FuzzChecks.mappingFile),
    ]

    @Test("every seed of every target keeps its target's properties", arguments: checks.map(\.target))
    func seeds(_ target: String) throws {
        let check = try #require(Self.checks.first { $0.target == target }?.check)
        let folder = Self.corpus.appendingPathComponent(target)
        let seeds = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(!seeds.isEmpty)
        for seed in seeds {
            check(Array(try Data(contentsOf: folder.appendingPathComponent(seed))))
        }
    }
}
