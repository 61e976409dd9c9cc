import Foundation
import Logging

/// swift-log's text format on stderr, with a cheap metadata setter: `StreamLogHandler` renders its
/// metadata again on every change, and Hummingbird sets a request id on every request's logger even
/// when nothing is logged. This keeps the metadata as it is and renders it only for a line written.
///
/// Every entry is one line of printable text: control characters in the message or a value (a dry-run
/// request, a destination's answer, a userId a client chose) are written as `\n`, `\r`, `\t` or
/// `\u{1B}`, so line-based tools (the journal, grep) see whole entries, a value cannot forge a line of
/// its own, and none can send escape sequences to the terminal of whoever reads the log.
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

    /// `event` with the control characters of its message and metadata escaped.
    static func oneLine(_ event: LogEvent) -> LogEvent {
        var event = event
        let message = "\(event.message)"
        if Self.needsEscaping(message) { event.message = "\(Self.escaped(message))" }
        if let metadata = event.metadata, metadata.values.contains(where: Self.needsEscaping) {
            event.metadata = metadata.mapValues(Self.escaped)
        }
        return event
    }

    /// A character that must not reach the terminal or the journal as it is: C0 controls (line breaks,
    /// ESC, which starts a terminal's escape sequences, NUL), DEL, C1 controls (U+009B is a one-byte
    /// escape sequence to some terminals) and the Unicode line and paragraph separators.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: true
        default: false
        }
    }

    private static func needsEscaping(_ text: String) -> Bool {
        text.unicodeScalars.contains(where: isControl)
    }

    private static func needsEscaping(_ value: Logger.MetadataValue) -> Bool {
        switch value {
        case .string(let text): needsEscaping(text)
        case .stringConvertible(let value): needsEscaping(value.description)
        case .array(let values): values.contains(where: needsEscaping)
        case .dictionary(let values): values.contains { needsEscaping($0.key) || needsEscaping($0.value) }
        }
    }

    /// `text` with each control character written as `\n`, `\r`, `\t` or `\u{1B}`.
    static func escaped(_ text: String) -> String {
        guard needsEscaping(text) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result.append(contentsOf: #"\n"#.unicodeScalars)
            case "\r": result.append(contentsOf: #"\r"#.unicodeScalars)
            case "\t": result.append(contentsOf: #"\t"#.unicodeScalars)
            case _ where isControl(scalar):
                result.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            default: result.append(scalar)
            }
        }
        return String(result)
    }

    private static func escaped(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let text): .string(escaped(text))
        case .stringConvertible(let value): .string(escaped(value.description))
        case .array(let values): .array(values.map(escaped))
        case .dictionary(let values):
            .dictionary(Dictionary(values.map { (escaped($0.key), escaped($0.value)) }, uniquingKeysWith: { first, _ in first }))
        }
    }
}
