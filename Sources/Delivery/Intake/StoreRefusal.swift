import Logging

/// How a port answers when the store did not commit: `503`, so the sender keeps the event and retries.
/// A lasting failure (a full disk, a read-only directory) would log every request; the line is let
/// through once per 10 s, with the count of those held back, so the logs cannot fill the disk too.
package struct StoreRefusal: Sendable {
    /// Who retries, for the log line (`Segment`, `Novu`).
    private let sender: String
    private let logger: Logger
    private let throttle = LogThrottle()

    package init(sender: String, logger: Logger) {
        self.sender = sender
        self.logger = logger
    }

    /// The answer to a request whose events the store refused with `error`.
    package func answer(_ error: any Error) -> IngestAnswer {
        if let full = error as? StoreFull { return .error(503, "StoreFull", full.description) }
        if let held = throttle.admit() {
            logger.error(
                "store did not commit; answering 503 so \(sender) retries",
                metadata: ["error": "\(error)", "not_logged_since_last": "\(held)"]
            )
        }
        return .error(503, "StoreUnavailable", "the event store cannot commit right now; retry later")
    }
}
