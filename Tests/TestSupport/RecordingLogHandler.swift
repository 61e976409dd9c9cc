import Logging
import Synchronization

/// A `LogHandler` that keeps every message it is given, for tests that check what was logged.
package struct RecordingLogHandler: LogHandler {
    /// One logged message.
    package struct Entry: Sendable {
        package var level: Logger.Level
        package var message: String
        package var metadata: Logger.Metadata
    }

    /// What every handler made from one recorder has logged, oldest first.
    package final class Recorder: Sendable {
        private let entries = Mutex([Entry]())

        package init() {}

        package var logged: [Entry] { entries.withLock { $0 } }

        func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

        /// A logger that records here, at every level.
        package func logger(label: String = "test") -> Logger {
            var logger = Logger(label: label) { _ in RecordingLogHandler(recorder: self) }
            logger.logLevel = .trace
            return logger
        }
    }

    let recorder: Recorder
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .trace

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        recorder.append(Entry(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }
}
