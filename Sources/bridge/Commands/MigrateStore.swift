import ArgumentParser
import Delivery
import Foundation
import Logging
import PostgresStore

/// `bridge migrate-store --to postgres://…`: copies the SQLite store's queue to a PostgreSQL store, so
/// replicas can take over from one bridge (docs/scaling.md).
struct MigrateStore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store",
        abstract: "Copy the SQLite store's queued jobs, dead letters, dedupe keys and correlations to PostgreSQL.",
        discussion: """
            Stop `bridge serve` on the SQLite store first (Segment and Novu retry meanwhile), copy, then start the \
            replicas on PostgreSQL. The copy is idempotent: run it again to finish one that stopped half way; rows \
            already copied are skipped. Jobs keep their ids. Without --to, BRIDGE_DATABASE_URL (or _FILE) names the \
            target: prefer it, since a password on the command line is visible to other users of this machine.
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "The PostgreSQL store (postgres://user:password@host:5432/database?sslmode=…); default: BRIDGE_DATABASE_URL.")
    var to: String?

    /// Rows per page read and per transaction written.
    static let pageSize = 500

    func run() async throws {
        let target = try targetConfiguration()
        let source = try await StoreOptions.openExisting(directory: store.directory, database: nil)
        guard let sqlite = source as? SQLiteStore else { throw CLIFailure("the source must be a SQLite store") }
        var logger = Logger(label: "bridge")
        logger.logLevel = .warning
        let postgres: PostgresStore
        do {
            // Migrates the target's schema: the copy is the first writer of a new PostgreSQL store.
            postgres = try await PostgresStore.open(target, logger: logger)
        } catch {
            throw CLIFailure("\(error)")
        }
        defer { postgres.close() }
        let counts = try await Self.copy(from: sqlite, to: postgres)
        print(
            "copied to \(target.url): \(counts.jobs) queued job(s), \(counts.deadLetters) dead letter(s), "
                + "\(counts.dedupeKeys) dedupe key(s), \(counts.correlations) correlation(s) (rows copied before were skipped)"
        )
    }

    /// The target from `--to`, else from `BRIDGE_DATABASE_URL` (or its `_FILE`).
    private func targetConfiguration() throws -> PostgresStore.Configuration {
        var reader = Reader(environment: ProcessInfo.processInfo.environment)
        let configured = BridgeConfiguration.loadDatabase(&reader)
        if let to {
            do {
                return PostgresStore.Configuration(url: try DatabaseURL(parsing: to))
            } catch {
                throw ValidationError("--to: \(error.description.dropFirst("BRIDGE_DATABASE_URL ".count))")
            }
        }
        if let problem = reader.problems.first { throw CLIFailure("\(problem)") }
        guard let configured else {
            throw ValidationError("--to: the PostgreSQL store to copy to is required (or set BRIDGE_DATABASE_URL)")
        }
        return configured
    }

    /// Copies page by page: correlations and dedupe keys first, so a job copied is never taken as new by a
    /// replica that dedupes against keys not there yet; then the jobs, by id.
    static func copy(from source: SQLiteStore, to target: PostgresStore) async throws -> ImportCounts {
        var counts = ImportCounts()
        var lastTransaction = ""
        while case let page = try await source.exportCorrelations(after: lastTransaction, limit: pageSize), let last = page.last {
            counts.correlations += try await target.importCorrelations(page)
            lastTransaction = last.correlation.transactionId
        }
        var lastKey = ""
        while case let page = try await source.exportKeys(after: lastKey, limit: pageSize), let last = page.last {
            counts.dedupeKeys += try await target.importKeys(page)
            lastKey = last.key
        }
        var lastId: Int64 = 0
        while case let page = try await source.exportJobs(after: lastId, limit: pageSize), let last = page.last {
            let copied = try await target.importJobs(page)
            counts.jobs += copied.jobs
            counts.deadLetters += copied.deadLetters
            lastId = last.id
        }
        return counts
    }
}
