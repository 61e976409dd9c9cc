import ArgumentParser
import Delivery
import Effectiveness
import Foundation
import JSON
import MappingFiles

/// `bridge report`: the notification funnel from the store (works while serve runs), DESIGN §11.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the notification funnel: triggered, sent, delivered, opened, clicked, converted, failed, with rates.",
        discussion: """
            Cohorts are by trigger time. A rate whose denominator a channel cannot report (in-app delivery, email
            without activity tracking) shows as n/a. Cohorts younger than their conversion window are marked maturing.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    @OptionGroup var store: StoreOptions
    @Option(help: "The period back from now (e.g. 24h, 7d, 30d). Default 7d.") var since: String?
    @Option(help: "Start of the period, ISO 8601 (e.g. 2026-11-01). Instead of --since.") var from: String?
    @Option(help: "End of the period, ISO 8601. Default now.") var to: String?
    @Option(help: "Group by these, comma-separated: workflow, channel, provider, day.") var by: String?
    @Option(help: "Only this workflow.") var workflow: String?
    @Option(help: "table, json or csv.") var format: Format = .table
    @Option(help: "The mapping file whose conversion windows mark maturing cohorts (default: BRIDGE_MAPPING_FILE).")
    var mappingFile: String?

    func run() async throws {
        let now = Date()
        let asked: ReportRequest
        do {
            asked = try ReportRequest.parse(since: since, from: from, to: to, by: by, workflow: workflow, now: now)
        } catch {
            throw ValidationError("--\(error.field): \(error.message)")
        }
        var rules = ConversionRules()
        let environment = ProcessInfo.processInfo.environment["BRIDGE_MAPPING_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        if let path = mappingFile ?? environment {
            do {
                rules = try MappingFile.load(path: path).conversions
            } catch {
                throw CLIFailure("\(error)")
            }
        }
        let opened = try await store.open()
        let facts: FunnelFacts
        do {
            // The steps serve logged since its last fold (a second's worth at most); a store that cannot
            // write (full, or read-only to this user) is reported as last folded.
            try? await opened.foldAllFunnelSteps()
            facts = try await opened.funnelFacts(from: asked.from, to: asked.to)
        } catch {
            throw CLIFailure("cannot read the funnel (\(error)); a store older than this version is upgraded when serve starts")
        }
        let report = asked.report(facts, rules: rules, now: now)
        switch format {
        case .json: print(String(decoding: report.json.encodedBytes(), as: UTF8.self))
        case .csv: print(report.csv(), terminator: "")
        case .table: print(report.table(), terminator: "")
        }
    }
}
