import Logging
import Synchronization

/// A `LogHandler` that keeps every message it is given, for tests that check what was logged.
public struct RecordingLogHandler: LogHandler {
    /// One logged message.
    public struct Entry: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata
    }

    /// What every handler made from one recorder has logged, oldest first.
    public final class Recorder: Sendable {
        private let entries = Mutex([Entry]())

        public init() {}

        public var logged: [Entry] { entries.withLock { $0 } }

        func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

        /// A logger that records here, at every level.
        public func logger(label: String = "test") -> Logger {
            var logger = Logger(label: label) { _ in RecordingLogHandler(recorder: self) }
            logger.logLevel = .trace
            return logger
        }
    }

    let recorder: Recorder
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        recorder.append(Entry(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }
}
