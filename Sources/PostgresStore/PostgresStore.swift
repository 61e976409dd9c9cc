import Delivery
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// The shared store: PostgreSQL, for several replicas of the bridge on one queue (DESIGN §12).
///
/// It keeps the rules every store keeps (`DeliveryQueue`, held by the conformance suite) across
/// replicas:
/// - A write returns only after its `COMMIT` did: ingest acknowledges nothing that is not durable.
/// - A claim takes only the head of a user's queue, and only while no replica holds a live claim on
///   another of that user's jobs, so a user's events go out in order whichever replica sends them.
/// - A claim is a lease (`Configuration.claimLease`, on the database's clock): a replica that dies
///   releases its claims when their leases run out, and settling a claim another replica has taken
///   over since is refused and logged, never applied twice.
///
/// Every statement stands alone in its transaction: no session state, no named prepared statements,
/// transaction-scoped advisory locks only, so the store works behind PgBouncer in transaction mode.
package final class PostgresStore: DeliveryQueue, CorrelationLookup, StoreMaintenance {
    package struct Configuration: Sendable, Equatable {
        package var url: DatabaseURL
        /// How long a claim holds before another replica may take the job (`BRIDGE_CLAIM_LEASE`).
        package var claimLease: Duration = .seconds(60)
        /// Connections this process opens at most (`BRIDGE_DATABASE_POOL_SIZE`).
        package var poolSize = 10

        package init(url: DatabaseURL) {
            self.url = url
        }
    }

    package let client: PostgresClient
    private let runner: Task<Void, Never>
    package let url: DatabaseURL
    let logger: Logger
    /// Marks this process's claims.
    let owner: String
    /// `claimLease` in seconds.
    let lease: Double
    /// The cursor each batch of unannounced triggers was read from, by the batch's last position: an
    /// announcement checks that the cursor has not moved since (`announce`).
    let announcementReads = Mutex<[Int64: Int64]>([:])
    private let outcome = Mutex(CommitOutcome.none)
    /// The group commits of ingest's jobs and of the relay's settlements, set at the end of `init`: they
    /// commit through `self` (unowned, so the store still goes when its last user lets go).
    let groups = Mutex<Groups?>(nil)

    struct Groups: Sendable {
        var intake: CommitGroup<IntakeWork, [EnqueueResult]>
        var settlements: CommitGroup<[Settlement], Void>
    }

    /// Opens the pool and brings the schema up to date (or, with `migrate: false`, checks it is this
    /// version's). Throws a `StoreError` naming the database (never its password) when it cannot.
    package static func open(_ configuration: Configuration, migrate: Bool = true, logger: Logger) async throws -> PostgresStore {
        let store = PostgresStore(configuration, logger: logger)
        do {
            try await store.prepareSchema(migrate: migrate)
        } catch {
            store.close()
            throw error
        }
        return store
    }

    private init(_ configuration: Configuration, logger: Logger) {
        url = configuration.url
        self.logger = logger
        lease = configuration.claimLease.timeInterval
        owner = UUID().uuidString
        let client = PostgresClient(
            configuration: configuration.url.clientConfiguration(poolSize: configuration.poolSize),
            backgroundLogger: logger
        )
        self.client = client
        // Started on this thread up to its first suspension, by when `run()` has marked the pool running:
        // a lease asked for before that logs a warning.
        runner = Task.immediate { await client.run() }
        let groups = Groups(
            intake: CommitGroup { [unowned self] group in try await self.commit(group) },
            settlements: CommitGroup { [unowned self] group in try await self.settleTogether(group) }
        )
        self.groups.withLock { $0 = groups }
    }

    /// Closes the pool; every later call fails.
    package func close() {
        runner.cancel()
    }

    deinit { runner.cancel() }

    /// The group commits; throws once the store is closed.
    var committing: Groups {
        get throws {
            guard let groups = groups.withLock({ $0 }) else { throw StoreError("the PostgreSQL store is not open") }
            return groups
        }
    }

    // MARK: - Running statements

    /// Runs `body` in one transaction on a pooled connection; returns once `COMMIT` did. An error the
    /// body throws (a `BindingConflict`, say) rolls back and is rethrown as it is; the database's own
    /// errors become a `StoreError` saying what could not be done. A deadlock or serialization failure
    /// (PostgreSQL aborted the transaction, nothing of it happened) is tried again, twice at most.
    ///
    /// With `durable: false` the `COMMIT` does not wait for the WAL to reach the disk (a transaction-scoped
    /// `synchronous_commit = off`, no session state): for claims and settlements, whose loss in a crash of
    /// the database means a claim taken again or a job sent again with the same ids, which destinations
    /// dedupe, as the SQLite store's `durable: false` writes. A later durable commit flushes them too.
    func transaction<Result: Sendable>(
        _ what: String,
        durable: Bool = true,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var tries = 0
        while true {
            tries += 1
            do {
                return try await client.withConnection { connection in
                    try await connection.query("BEGIN", logger: logger)
                    if !durable {
                        try await connection.query("SELECT set_config('synchronous_commit', 'off', true)", logger: logger)
                    }
                    let result: Result
                    do {
                        result = try await body(connection)
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                    try await connection.query("COMMIT", logger: logger)
                    outcome.withLock { $0 = .committed(at: .now) }
                    return result
                }
            } catch let error as PSQLError where tries < 3 && Self.isRetryable(error) {
                logger.debug("store transaction retried", metadata: ["what": "\(what)", "code": "\(Self.sqlState(error) ?? "")"])
                continue
            } catch let error as PSQLError {
                let failure = storeError(error, doing: what)
                if Self.isUnavailable(error) { outcome.withLock { $0 = .failed(at: .now, problem: failure.message) } }
                throw failure
            }
        }
    }

    /// Runs one statement outside an explicit transaction (a read, or a write that stands alone).
    @discardableResult
    func run<Result: Sendable>(_ what: String, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch let error as PSQLError {
            throw storeError(error, doing: what)
        }
    }

    /// deadlock_detected and serialization_failure: the transaction was rolled back and may run again.
    private static func isRetryable(_ error: PSQLError) -> Bool {
        ["40P01", "40001"].contains(sqlState(error))
    }

    private static func sqlState(_ error: PSQLError) -> String? { error.serverInfo?[.sqlState] }

    /// Whether `error` says the database cannot take commits now (it is unreachable, shutting down, out
    /// of disk or connections, read-only), rather than that one transaction's work was refused.
    static func isUnavailable(_ error: PSQLError) -> Bool {
        guard let state = sqlState(error) else { return true }  // no answer from the server at all
        // 08 connection exception, 53 insufficient resources, 57 operator intervention, 58 system error,
        // 25006 read-only transaction (a standby after failover).
        return ["08", "53", "57", "58"].contains(String(state.prefix(2))) || state == "25006"
    }

    /// What the latest write learned, for readiness.
    package var lastCommit: CommitOutcome { outcome.withLock { $0 } }

    /// The database's disk is the database's to watch: nothing to check from here.
    package func lowDiskProblem() -> String? { nil }

    /// The database's message, with the database named by its URL without the password. PSQLError's own
    /// description says nothing on purpose; its server fields are the server's words, without the binds.
    func storeError(_ error: PSQLError, doing what: String) -> StoreError {
        let detail: String
        if let message = error.serverInfo?[.message] {
            detail = "\(message) (\(error.serverInfo?[.sqlState] ?? "?"))"
        } else if let underlying = error.underlying {
            detail = "\(error.code): \(underlying)"
        } else {
            detail = "\(error.code)"
        }
        return StoreError("PostgreSQL at \(url) could not \(what): \(detail)")
    }

    // MARK: - Small writes

    package func recordDestinationState(name: String, held: Bool, reason: String?) async throws {
        let now = Date().timeIntervalSince1970
        try await run("record a destination's state") { connection in
            try await connection.query(
                """
                INSERT INTO destination_state (name, held, reason, updated_at) VALUES (\(name), \(held), \(reason), \(now))
                ON CONFLICT (name) DO UPDATE SET held = excluded.held, reason = excluded.reason, updated_at = excluded.updated_at
                """,
                logger: logger
            )
        }
    }

    /// Commits one small write: readiness learns whether the database takes commits now.
    package func probe() async throws {
        try await transaction("commit the readiness probe") { connection in
            _ = try await connection.query(
                """
                INSERT INTO dedupe (key, created_at) VALUES ('bridge:probe', 0)
                ON CONFLICT (key) DO UPDATE SET created_at = excluded.created_at
                """,
                logger: logger
            )
        }
    }

    /// The bytes the bridge's tables hold, indexes and TOAST included, as `BRIDGE_MAX_STORE_BYTES` counts
    /// them. PostgreSQL reuses the space of deleted rows after a vacuum, as SQLite reuses free pages.
    package func storeBytes() async throws -> Int64 {
        try await run("read its size") { connection in
            let rows = try await connection.query(
                """
                SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relkind = 'r'
                  AND c.relname IN ('job', 'attempt', 'dedupe', 'correlation', 'follow', 'follow_message',
                                    'funnel_trigger', 'funnel_step', 'funnel_message', 'funnel_conversion')
                """,
                logger: logger
            )
            for try await size in rows.decode(Int64.self) { return size }
            return 0
        }
    }
}

extension DatabaseURL {
    /// The pool's settings: `sslmode` as libpq reads it, at most `poolSize` connections.
    func clientConfiguration(poolSize: Int) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        switch self.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(unverified)
        case .require: tls = .require(unverified)
        case .verifyFull: tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: tls
        )
        configuration.options.maximumConnections = max(1, poolSize)
        return configuration
    }
}

extension PostgresStore: ServiceStore {}
