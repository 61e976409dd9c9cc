import GRDB

extension SQLiteStore {
    /// The schema, as ordered migrations: a released migration is never edited, only followed.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE job (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        destination TEXT NOT NULL,
                        ordering_key TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        payload BLOB NOT NULL,
                        event BLOB,
                        state TEXT NOT NULL,            -- pending | delivered | dry_run | dead
                        claimed_by TEXT,                -- the relay instance holding it, while in flight
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at REAL NOT NULL,
                        created_at REAL NOT NULL,
                        first_attempt_at REAL,
                        last_attempt_at REAL,
                        last_status INTEGER,
                        last_attempt_key TEXT,
                        reason TEXT,
                        settled_at REAL
                    );
                    -- Heads of each user's queue: the ordering check looks here.
                    CREATE INDEX job_open ON job(destination, ordering_key, id) WHERE state = 'pending';
                    -- What is due: the claim scans here.
                    CREATE INDEX job_due ON job(destination, next_attempt_at, id)
                        WHERE state = 'pending' AND claimed_by IS NULL;
                    -- What retention prunes, and what the dead-letter queue lists.
                    CREATE INDEX job_done ON job(settled_at) WHERE state IN ('delivered', 'dry_run');
                    CREATE INDEX job_dead ON job(settled_at) WHERE state = 'dead';

                    CREATE TABLE attempt (
                        job_id INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,
                        at REAL NOT NULL,
                        status INTEGER,
                        reason TEXT NOT NULL,
                        response TEXT,
                        attempt_key TEXT,
                        request TEXT,
                        outcome TEXT NOT NULL           -- retry | hold | dead
                    );
                    CREATE INDEX attempt_at ON attempt(at);
                    CREATE INDEX attempt_job ON attempt(job_id);

                    CREATE TABLE dedupe (
                        key TEXT PRIMARY KEY,
                        created_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX dedupe_age ON dedupe(created_at);

                    -- What the relay knows of each destination, for `bridge stats` in another process.
                    CREATE TABLE destination_state (
                        name TEXT PRIMARY KEY,
                        held INTEGER NOT NULL,
                        reason TEXT,
                        updated_at REAL NOT NULL
                    ) WITHOUT ROWID;

                    CREATE TABLE correlation (
                        transaction_id TEXT PRIMARY KEY,
                        event_name TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        user_id TEXT NOT NULL,
                        workflow TEXT NOT NULL,
                        created_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    """
            )
        }
        // v2: each user's head (its oldest pending job) is marked, and only heads are in `job_due`.
        // A claim then reads heads only: with v1 it stepped over every job waiting behind a head in
        // flight, so with a large backlog each claim round scanned the whole queue.
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    ALTER TABLE job ADD COLUMN is_head INTEGER NOT NULL DEFAULT 0;
                    UPDATE job SET is_head = 1
                    WHERE id IN (SELECT MIN(id) FROM job WHERE state = 'pending' GROUP BY destination, ordering_key);
                    DROP INDEX job_due;
                    CREATE INDEX job_due ON job(destination, next_attempt_at, id)
                        WHERE state = 'pending' AND claimed_by IS NULL AND is_head = 1;
                    """
            )
        }
        // v3-correlation-context: the Novu trigger `context` of a transaction, as compact JSON, for its feedback events.
        // NULL (nothing stored) for the transactions without one, which is most of them.
        migrator.registerMigration("v3-correlation-context") { db in
            try db.execute(sql: "ALTER TABLE correlation ADD COLUMN context TEXT")
        }
        // v3-follow: the activity poller's state. A transaction is followed once Novu acknowledged its trigger;
        // each message keeps the change types already emitted, so a look emits only what changed.
        migrator.registerMigration("v3-follow") { db in
            try db.execute(
                sql: """
                    CREATE TABLE follow (
                        transaction_id TEXT PRIMARY KEY,
                        since REAL NOT NULL,
                        next_look_at REAL NOT NULL,
                        looks INTEGER NOT NULL DEFAULT 0,
                        ended TEXT                      -- NULL while followed; age | retention
                    ) WITHOUT ROWID;
                    CREATE INDEX follow_due ON follow(next_look_at) WHERE ended IS NULL;
                    -- What retention prunes, and what `bridge stats` counts as ended.
                    CREATE INDEX follow_since ON follow(since);
                    CREATE INDEX follow_ended ON follow(ended) WHERE ended IS NOT NULL;

                    CREATE TABLE follow_message (
                        message_id TEXT PRIMARY KEY,
                        transaction_id TEXT NOT NULL,
                        emitted TEXT NOT NULL           -- change types, comma-separated
                    ) WITHOUT ROWID;
                    CREATE INDEX follow_message_transaction ON follow_message(transaction_id);
                    """
            )
        }
        // v4-funnel: the effectiveness funnel (DESIGN §11). A trigger Novu acknowledged, with its cause copied
        // from the correlation (kept for BRIDGE_FUNNEL_RETENTION, longer than correlations), in the order settled:
        // the announcer's cursor (`funnel_cursor`) follows `seq`, so announcing a trigger writes no row of its
        // own. The first time of each stage per Novu message (`user_id` only with conversions configured, so
        // only then is the user index kept up), clustered by transaction so the report's join needs no index of
        // its own; one conversion per (transaction, goal).
        migrator.registerMigration("v4-funnel") { db in
            try db.execute(
                sql: """
                    CREATE TABLE funnel_trigger (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        transaction_id TEXT NOT NULL,
                        user_id TEXT NOT NULL,
                        workflow TEXT NOT NULL,
                        trigger_event TEXT NOT NULL,
                        trigger_message_id TEXT NOT NULL,
                        context TEXT,
                        triggered_at REAL NOT NULL
                    );
                    CREATE INDEX funnel_trigger_at ON funnel_trigger(triggered_at);

                    CREATE TABLE funnel_cursor (
                        name TEXT PRIMARY KEY,
                        position INTEGER NOT NULL
                    ) WITHOUT ROWID;

                    -- Steps as feedback events report them, appended in the event's own commit (one sequential
                    -- insert), folded into funnel_message in batches off the ingest path (`foldFunnelSteps`).
                    CREATE TABLE funnel_step (
                        message_id TEXT NOT NULL,
                        transaction_id TEXT NOT NULL,
                        user_id TEXT,
                        workflow TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        provider TEXT,
                        stage TEXT NOT NULL,
                        at REAL NOT NULL,
                        failure TEXT
                    );

                    CREATE TABLE funnel_message (
                        message_id TEXT NOT NULL,
                        transaction_id TEXT NOT NULL,
                        user_id TEXT,
                        workflow TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        provider TEXT,
                        first_seen_at REAL NOT NULL,
                        sent_at REAL,
                        delivered_at REAL,
                        opened_at REAL,
                        clicked_at REAL,
                        failed_at REAL,
                        failure TEXT,
                        PRIMARY KEY (transaction_id, message_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX funnel_message_user ON funnel_message(user_id, first_seen_at) WHERE user_id IS NOT NULL;
                    CREATE INDEX funnel_message_seen ON funnel_message(first_seen_at);

                    CREATE TABLE funnel_conversion (
                        transaction_id TEXT NOT NULL,
                        goal TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        workflow TEXT NOT NULL,
                        converted_at REAL NOT NULL,
                        value REAL,
                        PRIMARY KEY (transaction_id, goal)
                    ) WITHOUT ROWID;
                    CREATE INDEX funnel_conversion_message ON funnel_conversion(message_id);
                    CREATE INDEX funnel_conversion_at ON funnel_conversion(converted_at);
                    """
            )
        }
        return migrator
    }
}
