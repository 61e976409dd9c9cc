import Foundation
import Logging

/// swift-log's text format on stderr, with a cheap metadata setter: `StreamLogHandler` renders its
/// metadata again on every change, and Hummingbird sets a request id on every request's logger even
/// when nothing is logged. This keeps the metadata as it is and renders it only for a line written.
///
/// Every entry is one line: line breaks in the message or a value (a dry-run request, a destination's
/// answer, a userId a client chose) are written as `\n`, so line-based tools (the journal, grep) see
/// whole entries and a value cannot forge a line of its own.
struct TextLogHandler: LogHandler {
    private var stream: StreamLogHandler
    var metadata: Logger.Metadata = [:]

    init(label: String) {
        stream = StreamLogHandler.standardError(label: label)
    }

    var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            event.metadata = metadata.merging(event.metadata ?? [:]) { _, explicit in explicit }
        }
        stream.log(event: Self.oneLine(event))
    }

    /// `event` with the line breaks of its message and metadata escaped.
    static func oneLine(_ event: LogEvent) -> LogEvent {
        var event = event
        let message = "\(event.message)"
        if Self.breaksLine(message) { event.message = "\(Self.escaped(message))" }
        if let metadata = event.metadata, metadata.values.contains(where: Self.breaksLine) {
            event.metadata = metadata.mapValues(Self.escaped)
        }
        return event
    }

    private static func breaksLine(_ text: String) -> Bool {
        text.utf8.contains { $0 == 0x0A || $0 == 0x0D }
    }

    private static func breaksLine(_ value: Logger.MetadataValue) -> Bool {
        switch value {
        case .string(let text): breaksLine(text)
        case .stringConvertible(let value): breaksLine(value.description)
        case .array(let values): values.contains(where: breaksLine)
        case .dictionary(let values): values.values.contains(where: breaksLine)
        }
    }

    private static func escaped(_ text: String) -> String {
        guard breaksLine(text) else { return text }
        return text.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func escaped(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let text): .string(escaped(text))
        case .stringConvertible(let value): .string(escaped(value.description))
        case .array(let values): .array(values.map(escaped))
        case .dictionary(let values): .dictionary(values.mapValues(escaped))
        }
    }
}
