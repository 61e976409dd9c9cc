import Delivery
import Foundation
import JSON
import Logging
import NIOCore
import PostgresNIO

/// One request's part of an ingest group commit: its jobs and its binding.
typealias IntakeWork = (jobs: [NewJob], binding: KeyBinding?)

/// Ingest's side: jobs in, with their dedupe keys and correlations, in group commits (`CommitGroup`).
extension PostgresStore {
    /// Commits `jobs` in the next group transaction and returns after its `COMMIT`.
    package func enqueue(_ jobs: [NewJob], binding: KeyBinding?) async throws -> [EnqueueResult] {
        try await committing.intake.submit((jobs, binding), size: max(1, jobs.count))
    }

    /// Commits a group of requests in one transaction, in arrival order. A binding to another value fails
    /// its own request, which then queues nothing; the others go on.
    func commit(_ group: [IntakeWork]) async throws -> [Result<[EnqueueResult], any Error>] {
        let now = Date().timeIntervalSince1970
        let count = group.reduce(0) { $0 + $1.jobs.count }
        return try await transaction("queue \(count) job(s)") { connection in
            var outcomes: [Result<[EnqueueResult], any Error>] = []
            outcomes.reserveCapacity(group.count)
            for (jobs, binding) in group {
                do {
                    if let binding { try await self.bind(binding, now: now, on: connection) }
                } catch let conflict as BindingConflict {
                    outcomes.append(.failure(conflict))
                    continue
                }
                outcomes.append(.success(jobs.map { _ in .duplicate }))
            }
            // Every request's jobs in one set of statements, in arrival order; then each its own results.
            let requests = outcomes.indices.filter { (try? outcomes[$0].get()) != nil }
            let results = try await self.insert(requests.flatMap { group[$0].jobs }, now: now, on: connection)
            var next = results.startIndex
            for request in requests {
                let count = group[request].jobs.count
                outcomes[request] = .success(Array(results[next..<next + count]))
                next += count
            }
            return outcomes
        }
    }

    /// Records `binding` as the dedupe key `key=value`, or throws `BindingConflict` when `key=` is bound
    /// to another value. Bindings of one key take turns (a transaction-scoped advisory lock on the key),
    /// so two replicas cannot bind it to two values at once.
    private func bind(_ binding: KeyBinding, now: Double, on connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(binding.key), 0))", logger: logger)
        let prefix = binding.key + "="
        let upper = binding.key + ">"
        let rows = try await connection.query(
            "SELECT key FROM dedupe WHERE key >= \(prefix) AND key < \(upper) LIMIT 1",
            logger: logger
        )
        let wanted = prefix + binding.value
        for try await bound in rows.decode(String.self) {
            guard bound == wanted else { throw BindingConflict(key: binding.key) }
            return
        }
        try await connection.query("INSERT INTO dedupe (key, created_at) VALUES (\(wanted), \(now))", logger: logger)
    }

    /// Queues one job unless it is a duplicate (see `insert(_:now:on:)` for many).
    func insert(_ job: NewJob, now: Double, on connection: PostgresConnection) async throws -> EnqueueResult {
        try await insert([job], now: now, on: connection)[0]
    }

    /// Queues `jobs`, in order, skipping duplicates: a job is a duplicate when one of its dedupe keys, or
    /// its correlation's transaction, was committed before (by any replica: the primary keys decide, and a
    /// second insert of a key waits for the first's transaction to end) or named by an earlier job of
    /// `jobs`. A duplicate's other keys are remembered too: they were seen.
    ///
    /// Set-based, a few statements whatever the count: a round trip to the database costs far more than
    /// its work on one row, and a group commit carries every request that waited.
    func insert(_ jobs: [NewJob], now: Double, on connection: PostgresConnection) async throws -> [EnqueueResult] {
        guard !jobs.isEmpty else { return [] }
        let freshKeys = try await rememberKeys(Set(jobs.flatMap(\.dedupeKeys)), now: now, on: connection)
        let freshCauses = try await recordCauses(jobs.compactMap(\.correlation), at: now, on: connection)
        var (usedKeys, usedCauses) = (Set<String>(), Set<String>())
        var queued: [Int] = []
        for (index, job) in jobs.enumerated() {
            var duplicate = false
            for key in Set(job.dedupeKeys) where !freshKeys.contains(key) || !usedKeys.insert(key).inserted { duplicate = true }
            if let cause = job.correlation,
                !freshCauses.contains(cause.transactionId) || !usedCauses.insert(cause.transactionId).inserted
            {
                duplicate = true
            }
            if !duplicate { queued.append(index) }
        }
        var rows = JobRows()
        var steps: [FunnelStep] = []
        let causes = try await correlations(transactionIds: Set(queued.compactMap { jobs[$0].cause }), on: connection)
        for index in queued {
            var (payload, step) = (jobs[index].payload, jobs[index].step)
            if let transaction = jobs[index].cause {
                // Linked to its cause; a step counts only for a transaction the bridge triggered.
                if let cause = causes[transaction] { payload = cause.linking(payload) } else { step = nil }
            }
            rows.append(jobs[index], payload: payload)
            if let step { steps.append(step) }
        }
        let ids = try await rows.insert(now: now, on: connection, logger: logger)
        try await record(steps, on: connection)
        var results = [EnqueueResult](repeating: .duplicate, count: jobs.count)
        for (index, id) in zip(queued, ids) { results[index] = .accepted(id) }
        return results
    }

    /// Remembers `keys`; returns those not remembered before.
    private func rememberKeys(_ keys: Set<String>, now: Double, on connection: PostgresConnection) async throws -> Set<String> {
        guard !keys.isEmpty else { return [] }
        let all = Array(keys)
        var fresh = Set<String>()
        let rows = try await connection.query(
            """
            INSERT INTO dedupe (key, created_at) SELECT unnest(\(all)::TEXT[]), \(now)
            ON CONFLICT (key) DO NOTHING RETURNING key
            """,
            logger: logger
        )
        for try await key in rows.decode(String.self) { fresh.insert(key) }
        return fresh
    }

    /// Records `causes`; returns the transactions not recorded before.
    private func recordCauses(_ causes: [Correlation], at: Double, on connection: PostgresConnection) async throws -> Set<String> {
        guard !causes.isEmpty else { return [] }
        let contexts = causes.map { $0.context.map { JSONValue.object($0).encodedString() } }
        let (transactions, events, messages) = (causes.map(\.transactionId), causes.map(\.eventName), causes.map(\.messageId))
        let (users, workflows) = (causes.map(\.userId), causes.map(\.workflow))
        let (hasContext, context) = (contexts.map { $0 != nil }, contexts.map { $0 ?? "" })
        var fresh = Set<String>()
        let rows = try await connection.query(
            """
            INSERT INTO correlation (transaction_id, event_name, message_id, user_id, workflow, created_at, context)
            SELECT t, e, m, u, w, \(at), CASE WHEN h THEN c END
            FROM unnest(\(transactions)::TEXT[], \(events)::TEXT[], \(messages)::TEXT[], \(users)::TEXT[], \(workflows)::TEXT[],
                        \(hasContext)::BOOL[], \(context)::TEXT[]) AS x(t, e, m, u, w, h, c)
            ON CONFLICT (transaction_id) DO NOTHING RETURNING transaction_id
            """,
            logger: logger
        )
        for try await transaction in rows.decode(String.self) { fresh.insert(transaction) }
        return fresh
    }

    /// The correlations of `transactionIds` that are recorded.
    private func correlations(transactionIds: Set<String>, on connection: PostgresConnection) async throws -> [String: Correlation] {
        var found: [String: Correlation] = [:]
        for transaction in transactionIds {
            found[transaction] = try await correlation(transactionId: transaction, on: connection)
        }
        return found
    }

    /// Appends funnel steps, to be folded into their messages' rows off the ingest path.
    private func record(_ steps: [FunnelStep], on connection: PostgresConnection) async throws {
        guard !steps.isEmpty else { return }
        let (messages, transactions, workflows) = (steps.map(\.messageId), steps.map(\.transactionId), steps.map(\.workflow))
        let (channels, stages, times) = (steps.map(\.channel), steps.map(\.stage.rawValue), steps.map(\.at.timeIntervalSince1970))
        let (hasUser, users) = (steps.map { $0.userId != nil }, steps.map { $0.userId ?? "" })
        let (hasProvider, providers) = (steps.map { $0.provider != nil }, steps.map { $0.provider ?? "" })
        let failures = steps.map { $0.stage == .failed ? $0.failure ?? "unknown" : "" }
        try await connection.query(
            """
            INSERT INTO funnel_step (message_id, transaction_id, user_id, workflow, channel, provider, stage, at, failure)
            SELECT m, t, CASE WHEN hu THEN u END, w, c, CASE WHEN hp THEN p END, s, a, NULLIF(f, '')
            FROM unnest(\(messages)::TEXT[], \(transactions)::TEXT[], \(hasUser)::BOOL[], \(users)::TEXT[], \(workflows)::TEXT[],
                        \(channels)::TEXT[], \(hasProvider)::BOOL[], \(providers)::TEXT[], \(stages)::TEXT[],
                        \(times)::DOUBLE PRECISION[], \(failures)::TEXT[]) WITH ORDINALITY AS x(m, t, hu, u, w, c, hp, p, s, a, f, n)
            ORDER BY n
            """,
            logger: logger
        )
    }

    /// Records `cause`, recorded at `at`; `false` when its transaction was recorded before.
    func record(_ cause: Correlation, at: Double, on connection: PostgresConnection) async throws -> Bool {
        let context = cause.context.map { JSONValue.object($0).encodedString() }
        let inserted = try await count(
            connection.query(
                """
                INSERT INTO correlation (transaction_id, event_name, message_id, user_id, workflow, created_at, context)
                VALUES (\(cause.transactionId), \(cause.eventName), \(cause.messageId), \(cause.userId), \(cause.workflow),
                        \(at), \(context))
                ON CONFLICT (transaction_id) DO NOTHING RETURNING 1
                """,
                logger: logger
            )
        )
        return inserted > 0
    }

    package func correlation(transactionId: String) async throws -> Correlation? {
        try await run("read a correlation") { connection in
            try await self.correlation(transactionId: transactionId, on: connection)
        }
    }

    func correlation(transactionId: String, on connection: PostgresConnection) async throws -> Correlation? {
        let rows = try await connection.query(
            """
            SELECT transaction_id, event_name, message_id, user_id, workflow, context FROM correlation
            WHERE transaction_id = \(transactionId)
            """,
            logger: logger
        )
        for try await (transaction, event, message, user, workflow, context) in rows.decode(
            (String, String, String, String, String, String?).self
        ) {
            return Correlation(
                transactionId: transaction,
                eventName: event,
                messageId: message,
                userId: user,
                workflow: workflow,
                context: context.flatMap { try? JSONValue.parse(Data($0.utf8)) }?.objectValue
            )
        }
        return nil
    }

    /// How many rows a statement returned (its `RETURNING` list), read to the end.
    func count(_ rows: PostgresRowSequence) async throws -> Int {
        var n = 0
        for try await _ in rows { n += 1 }
        return n
    }
}

/// The columns of jobs to queue, one array per column, inserted by one statement.
private struct JobRows {
    var destinations: [String] = []
    /// `""` for a job for no one.
    var keys: [String] = []
    var kinds: [String] = []
    var payloads: [ByteBuffer] = []
    var hasEvent: [Bool] = []
    var events: [ByteBuffer] = []
    var hasReason: [Bool] = []
    var reasons: [String] = []

    mutating func append(_ job: NewJob, payload: Data) {
        destinations.append(job.destination)
        keys.append(job.orderingKey ?? "")
        kinds.append(job.kind)
        payloads.append(ByteBuffer(bytes: payload))
        hasEvent.append(job.event != nil)
        events.append(ByteBuffer(bytes: job.event ?? Data()))
        hasReason.append(job.deadLetterReason != nil)
        reasons.append(job.deadLetterReason ?? "")
    }

    /// Inserts the rows in order (a job born dead-lettered is settled at once); returns their ids, in
    /// the same order: identity values are drawn as the rows are inserted, so they rise with it.
    func insert(now: Double, on connection: PostgresConnection, logger: Logger) async throws -> [Int64] {
        guard !destinations.isEmpty else { return [] }
        let rows = try await connection.query(
            """
            INSERT INTO job (destination, ordering_key, kind, payload, event, state, next_attempt_at, created_at, reason, settled_at)
            SELECT d, k, t, p, CASE WHEN he THEN e END, CASE WHEN hr THEN 'dead' ELSE 'pending' END, \(now), \(now),
                   CASE WHEN hr THEN r END, CASE WHEN hr THEN \(now) END
            FROM unnest(\(destinations)::TEXT[], \(keys)::TEXT[], \(kinds)::TEXT[], \(payloads)::BYTEA[], \(hasEvent)::BOOL[],
                        \(events)::BYTEA[], \(hasReason)::BOOL[], \(reasons)::TEXT[]) WITH ORDINALITY AS x(d, k, t, p, he, e, hr, r, n)
            ORDER BY n
            RETURNING id
            """,
            logger: logger
        )
        var ids: [Int64] = []
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        return ids.sorted()
    }
}
