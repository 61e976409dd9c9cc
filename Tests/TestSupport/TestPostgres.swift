import Delivery
import Foundation
import Logging
import PostgresNIO
import PostgresStore

/// The PostgreSQL server the tests use: `BRIDGE_TEST_DATABASE_URL` (`.ci/run` starts a throwaway cluster
/// with `scripts/test-postgres.sh` and sets it). Each test gets a database of its own, dropped after it.
package enum TestPostgres {
    /// The server's URL, or `nil` when none is configured.
    package static let url: DatabaseURL? = {
        guard let text = ProcessInfo.processInfo.environment["BRIDGE_TEST_DATABASE_URL"], !text.isEmpty else { return nil }
        return try? DatabaseURL(parsing: text)
    }()

    /// Whether the PostgreSQL tests run: with a server, or in CI, where a missing server fails them
    /// rather than skipping them. Outside CI without one, they are skipped, and this says so once, loudly.
    package static let enabled: Bool = {
        if url != nil { return true }
        if ProcessInfo.processInfo.environment["CI"] != nil { return true }
        FileHandle.standardError.write(
            Data(
                """
                ********************************************************************************
                SKIPPED: the PostgreSQL store's tests. BRIDGE_TEST_DATABASE_URL is not set; start a
                throwaway server with `eval "$(scripts/test-postgres.sh start $(mktemp -d))"` to run them.
                ********************************************************************************

                """.utf8
            )
        )
        return false
    }()

    /// A fresh, empty database on the test server; `drop` removes it.
    package static func freshDatabase() async throws -> DatabaseURL {
        guard let url else {
            throw StoreError("BRIDGE_TEST_DATABASE_URL is not set: CI must start PostgreSQL (scripts/test-postgres.sh)")
        }
        var fresh = url
        fresh.database = "bridge_test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        let name = fresh.database
        try await admin(url) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        return fresh
    }

    /// Drops `database` (made by `freshDatabase`), closing what is still connected to it.
    package static func drop(_ database: DatabaseURL) async {
        guard let url else { return }
        try? await admin(url) { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database.database) WITH (FORCE)"),
                logger: logger
            )
        }
    }

    /// `database` as `BRIDGE_DATABASE_URL` takes it, password included: for the processes a test starts.
    package static func connectionString(_ database: DatabaseURL) -> String {
        let allowed = CharacterSet.alphanumerics
        let user = database.user.addingPercentEncoding(withAllowedCharacters: allowed) ?? database.user
        let password = database.password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0) } ?? ""
        return "postgres://\(user)\(password)@\(database.host):\(database.port)/\(database.database)?sslmode=\(database.tls.rawValue)"
    }

    /// Opens a PostgreSQL store on `database`, as a replica would.
    package static func store(_ database: DatabaseURL, lease: Duration = .seconds(60), poolSize: Int = 4) async throws -> PostgresStore {
        var configuration = PostgresStore.Configuration(url: database)
        configuration.claimLease = lease
        configuration.poolSize = poolSize
        return try await PostgresStore.open(configuration, logger: logger)
    }

    /// A fresh PostgreSQL store on a database of its own; `remove` closes it and drops the database.
    package static func freshStore() async throws -> PostgresStore {
        try await store(try await freshDatabase())
    }

    /// Closes `store` and drops its database (made by `freshStore`).
    package static func remove(_ store: PostgresStore) async {
        store.close()
        await drop(store.url)
    }

    /// Runs `body` with `count` replicas (stores of their own, each its pool and claim owner) on a fresh
    /// database, dropped after.
    package static func withReplicas(
        _ count: Int,
        lease: Duration = .seconds(60),
        poolSize: Int = 4,
        _ body: ([PostgresStore]) async throws -> Void
    ) async throws {
        let database = try await freshDatabase()
        var replicas: [PostgresStore] = []
        do {
            for _ in 0..<count { replicas.append(try await store(database, lease: lease, poolSize: poolSize)) }
            try await body(replicas)
        } catch {
            for replica in replicas { replica.close() }
            await drop(database)
            throw error
        }
        for replica in replicas { replica.close() }
        await drop(database)
    }

    /// The values of the first column of `sql`, as text, read through `store`'s own pool.
    package static func column(_ store: PostgresStore, _ sql: String) async throws -> [String] {
        try await store.client.withConnection { connection in
            var values: [String] = []
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(String.self) {
                values.append(value)
            }
            return values
        }
    }

    private static let logger: Logger = {
        var logger = Logger(label: "test-postgres")
        logger.logLevel = .warning
        return logger
    }()

    private static func admin(_ url: DatabaseURL, _ body: @Sendable (PostgresConnection) async throws -> Void) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: PostgresConnection.Configuration(
                host: url.host,
                port: url.port,
                username: url.user,
                password: url.password,
                database: url.database,
                tls: .disable
            ),
            id: 1,
            logger: logger
        )
        do {
            try await body(connection)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
