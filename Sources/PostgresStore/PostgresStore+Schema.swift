import Delivery
import Logging
import PostgresNIO

extension PostgresStore {
    /// One schema version: its name (recorded in `bridge_migration`) and its statements, run in order.
    struct Migration: Sendable {
        var version: String
        var statements: [String]
    }

    /// The schema, as ordered migrations: a released migration is never edited, only followed.
    ///
    /// The tables mirror the SQLite store's (`SQLiteStore.migrator`) with two differences: a claim carries
    /// a lease (`lease_until`, on the database's clock, which every replica shares), and no `is_head`
    /// mark: with one writer SQLite keeps each user's head marked, while here several replicas queue and
    /// settle at once, so a claim asks for heads directly (see `claim`).
    static let migrations: [Migration] = [
        Migration(
            version: "v1",
            statements: [
                """
                CREATE TABLE job (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    destination TEXT NOT NULL,
                    ordering_key TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    payload BYTEA NOT NULL,
                    event BYTEA,
                    state TEXT NOT NULL,
                    claimed_by TEXT,
                    lease_until DOUBLE PRECISION,
                    attempts BIGINT NOT NULL DEFAULT 0,
                    next_attempt_at DOUBLE PRECISION NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL,
                    first_attempt_at DOUBLE PRECISION,
                    last_attempt_at DOUBLE PRECISION,
                    last_status BIGINT,
                    last_attempt_key TEXT,
                    reason TEXT,
                    settled_at DOUBLE PRECISION
                )
                """,
                // Each user's queue, in order: the head checks look here.
                "CREATE INDEX job_open ON job (destination, ordering_key, id) WHERE state = 'pending'",
                // What is due: the claim scans here.
                "CREATE INDEX job_due ON job (destination, next_attempt_at, id) WHERE state = 'pending'",
                "CREATE INDEX job_done ON job (settled_at) WHERE state IN ('delivered', 'dry_run')",
                "CREATE INDEX job_dead ON job (settled_at) WHERE state = 'dead'",
                """
                CREATE TABLE attempt (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    job_id BIGINT NOT NULL REFERENCES job (id) ON DELETE CASCADE,
                    at DOUBLE PRECISION NOT NULL,
                    status BIGINT,
                    reason TEXT NOT NULL,
                    response TEXT,
                    attempt_key TEXT,
                    request TEXT,
                    outcome TEXT NOT NULL
                )
                """,
                "CREATE INDEX attempt_at ON attempt (at)",
                "CREATE INDEX attempt_job ON attempt (job_id, id)",
                "CREATE TABLE dedupe (key TEXT COLLATE \"C\" PRIMARY KEY, created_at DOUBLE PRECISION NOT NULL)",
                "CREATE INDEX dedupe_age ON dedupe (created_at)",
                """
                CREATE TABLE destination_state (
                    name TEXT PRIMARY KEY,
                    held BOOLEAN NOT NULL,
                    reason TEXT,
                    updated_at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE correlation (
                    transaction_id TEXT PRIMARY KEY,
                    event_name TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    workflow TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL,
                    context TEXT
                )
                """,
                "CREATE INDEX correlation_age ON correlation (created_at)",
                """
                CREATE TABLE follow (
                    transaction_id TEXT PRIMARY KEY,
                    since DOUBLE PRECISION NOT NULL,
                    next_look_at DOUBLE PRECISION NOT NULL,
                    looks BIGINT NOT NULL DEFAULT 0,
                    ended TEXT
                )
                """,
                "CREATE INDEX follow_due ON follow (next_look_at) WHERE ended IS NULL",
                "CREATE INDEX follow_since ON follow (since)",
                """
                CREATE TABLE follow_message (
                    message_id TEXT PRIMARY KEY,
                    transaction_id TEXT NOT NULL,
                    emitted TEXT NOT NULL
                )
                """,
                "CREATE INDEX follow_message_transaction ON follow_message (transaction_id)",
                """
                CREATE TABLE funnel_trigger (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    transaction_id TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    workflow TEXT NOT NULL,
                    trigger_event TEXT NOT NULL,
                    trigger_message_id TEXT NOT NULL,
                    context TEXT,
                    triggered_at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE INDEX funnel_trigger_at ON funnel_trigger (triggered_at)",
                "CREATE TABLE funnel_cursor (name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
                """
                CREATE TABLE funnel_step (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    message_id TEXT NOT NULL,
                    transaction_id TEXT NOT NULL,
                    user_id TEXT,
                    workflow TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    provider TEXT,
                    stage TEXT NOT NULL,
                    at DOUBLE PRECISION NOT NULL,
                    failure TEXT
                )
                """,
                """
                CREATE TABLE funnel_message (
                    message_id TEXT NOT NULL,
                    transaction_id TEXT NOT NULL,
                    user_id TEXT,
                    workflow TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    provider TEXT,
                    first_seen_at DOUBLE PRECISION NOT NULL,
                    sent_at DOUBLE PRECISION,
                    delivered_at DOUBLE PRECISION,
                    opened_at DOUBLE PRECISION,
                    clicked_at DOUBLE PRECISION,
                    failed_at DOUBLE PRECISION,
                    failure TEXT,
                    PRIMARY KEY (transaction_id, message_id)
                )
                """,
                "CREATE INDEX funnel_message_user ON funnel_message (user_id, first_seen_at) WHERE user_id IS NOT NULL",
                "CREATE INDEX funnel_message_seen ON funnel_message (first_seen_at)",
                """
                CREATE TABLE funnel_conversion (
                    transaction_id TEXT NOT NULL,
                    goal TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    workflow TEXT NOT NULL,
                    converted_at DOUBLE PRECISION NOT NULL,
                    value DOUBLE PRECISION,
                    PRIMARY KEY (transaction_id, goal)
                )
                """,
                "CREATE INDEX funnel_conversion_message ON funnel_conversion (message_id)",
                "CREATE INDEX funnel_conversion_at ON funnel_conversion (converted_at)",
            ]
        )
    ]

    /// The advisory lock every replica takes before it looks at the schema: replicas that start together
    /// migrate once, one after the other. A transaction-scoped lock, so it works behind PgBouncer in
    /// transaction mode and is released by `COMMIT` or by a connection that drops.
    static let migrationLock: Int64 = 0x6272_6964_6765  // "bridge"

    /// Brings the schema up to date, all missing versions in one transaction under `migrationLock`; or,
    /// with `migrate: false` (the CLI beside a running serve of another version), only checks that the
    /// schema is exactly this version's.
    func prepareSchema(migrate: Bool) async throws {
        try await transaction("prepare the schema") { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: self.logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS bridge_migration (
                    version TEXT PRIMARY KEY,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """,
                logger: self.logger
            )
            var applied = Set<String>()
            for try await version in try await connection.query("SELECT version FROM bridge_migration", logger: self.logger)
                .decode(String.self)
            {
                applied.insert(version)
            }
            let known = Set(Self.migrations.map(\.version))
            if !applied.isSubset(of: known) {
                throw StoreError(
                    "the PostgreSQL store was upgraded by a newer bridge (schema \(applied.subtracting(known).sorted())): "
                        + "use that version's bridge"
                )
            }
            let missing = Self.migrations.filter { !applied.contains($0.version) }
            guard !missing.isEmpty else { return }
            guard migrate else {
                throw StoreError(
                    "the PostgreSQL store has an older schema: start this version's bridge serve on it once (it upgrades "
                        + "the store), or use the bridge version that serves it"
                )
            }
            for migration in missing {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
                try await connection.query(
                    "INSERT INTO bridge_migration (version) VALUES (\(migration.version))",
                    logger: self.logger
                )
                self.logger.info("store schema migrated", metadata: ["version": "\(migration.version)"])
            }
        }
    }
}
