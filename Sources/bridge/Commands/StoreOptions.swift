import ArgumentParser
import Delivery
import Foundation
import Logging
import PostgresStore

/// `--data-dir`, shared by the commands that read the store while `serve` runs. With
/// `BRIDGE_DATABASE_URL` set they act on the PostgreSQL store every replica shares instead.
struct StoreOptions: ParsableArguments {
    @Option(help: "Directory of the SQLite store (default: BRIDGE_DATA_DIR, else ./data).")
    var dataDir: String?

    var directory: String {
        dataDir ?? ProcessInfo.processInfo.environment["BRIDGE_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "./data"
    }

    /// Opens the existing store; a missing one is an error, not a new empty store.
    func open() async throws -> any ServiceStore {
        var reader = Reader(environment: ProcessInfo.processInfo.environment)
        let database = BridgeConfiguration.loadDatabase(&reader)
        if let problem = reader.problems.first { throw CLIFailure("\(problem)") }
        return try await Self.openExisting(directory: directory, database: database)
    }

    /// The store `serve` uses: PostgreSQL when `database` is set, else the SQLite file in `directory`,
    /// which must exist. Its schema is never changed here: only `serve` upgrades a store, and a command of
    /// another version beside it would otherwise change the tables under it.
    static func openExisting(directory: String, database: PostgresStore.Configuration?) async throws -> any ServiceStore {
        if var database {
            database.poolSize = 2
            var logger = Logger(label: "bridge")
            logger.logLevel = .error
            return try await PostgresStore.open(database, migrate: false, logger: logger)
        }
        let path = (directory as NSString).appendingPathComponent(SQLiteStore.fileName)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIFailure("no store at \(path): set --data-dir or BRIDGE_DATA_DIR to the directory serve uses")
        }
        return try SQLiteStore(path: path, migrate: false)
    }
}

/// A command that was used correctly but could not do its work (no store, no such dead letter): reported
/// as `Error: …` with exit status 1, without the usage text a `ValidationError` adds (and its status 64).
struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Which dead letters a `dlq` command acts on.
struct FilterOptions: ParsableArguments {
    @Option(help: "Only this destination (novu, segment).") var destination: String?
    @Option(help: "Only reasons containing this text (e.g. 'HTTP 422', expired).") var reason: String?
    @Option(help: "Only dead-lettered within this long (e.g. 1h, 7d) or since this ISO 8601 time.") var since: String?
    @Option(help: "At most this many.") var limit: Int?

    func filter(ids: [Int64]? = nil) throws -> DeadLetterFilter {
        var sinceDate: Date?
        if let since {
            sinceDate = SinceText.parse(since, now: Date())
            if sinceDate == nil {
                throw ValidationError("--since: expected a duration such as 1h or an ISO 8601 time, got '\(since)'")
            }
        }
        if let limit, limit < 1 { throw ValidationError("--limit: expected a positive number") }
        return DeadLetterFilter(ids: ids, destination: destination, reason: reason, since: sinceDate, limit: limit)
    }
}
