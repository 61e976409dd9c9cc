import Foundation

/// One job as `bridge migrate-store` copies it from one store to another: every column a store keeps of a
/// job still queued or dead-lettered, with its failed attempts. Its id travels with it, so dead letters
/// keep the ids operators know them by and a user's jobs keep their order.
package struct ExportedJob: Sendable, Equatable {
    package var id: Int64
    package var destination: String
    /// `""` for a job for no one, as the stores write it.
    package var orderingKey: String
    package var kind: String
    package var payload: Data
    package var event: Data?
    /// `pending` or `dead`: delivered jobs are not copied.
    package var state: String
    package var attempts: Int
    package var nextAttemptAt: Double
    package var createdAt: Double
    package var firstAttemptAt: Double?
    package var lastAttemptAt: Double?
    package var lastStatus: Int?
    package var lastAttemptKey: String?
    package var reason: String?
    package var settledAt: Double?
    package var failures: [ExportedAttempt]

    package init(
        id: Int64,
        destination: String,
        orderingKey: String,
        kind: String,
        payload: Data,
        event: Data?,
        state: String,
        attempts: Int,
        nextAttemptAt: Double,
        createdAt: Double,
        firstAttemptAt: Double?,
        lastAttemptAt: Double?,
        lastStatus: Int?,
        lastAttemptKey: String?,
        reason: String?,
        settledAt: Double?,
        failures: [ExportedAttempt] = []
    ) {
        self.id = id
        self.destination = destination
        self.orderingKey = orderingKey
        self.kind = kind
        self.payload = payload
        self.event = event
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.firstAttemptAt = firstAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.lastStatus = lastStatus
        self.lastAttemptKey = lastAttemptKey
        self.reason = reason
        self.settledAt = settledAt
        self.failures = failures
    }
}

/// One failed attempt of an exported job, with its outcome (`retry`, `hold`, `dead`).
package struct ExportedAttempt: Sendable, Equatable {
    package var record: AttemptRecord
    package var outcome: String

    package init(record: AttemptRecord, outcome: String) {
        self.record = record
        self.outcome = outcome
    }
}

/// A correlation with the time it was recorded (retention counts from it).
package struct ExportedCorrelation: Sendable, Equatable {
    package var correlation: Correlation
    package var createdAt: Double

    package init(correlation: Correlation, createdAt: Double) {
        self.correlation = correlation
        self.createdAt = createdAt
    }
}

/// A dedupe key (or binding, `key=value`) with the time it was recorded.
package struct ExportedKey: Sendable, Equatable {
    package var key: String
    package var createdAt: Double

    package init(key: String, createdAt: Double) {
        self.key = key
        self.createdAt = createdAt
    }
}

/// What one `migrate-store` copy wrote: the rows new to the target (rows it held already are skipped).
package struct ImportCounts: Sendable, Equatable {
    package var jobs = 0
    package var deadLetters = 0
    package var dedupeKeys = 0
    package var correlations = 0

    package init() {}
}
