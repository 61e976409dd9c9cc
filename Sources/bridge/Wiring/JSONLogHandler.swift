import Foundation
import Logging

/// One JSON object per line on stderr: `{"ts":…,"level":…,"label":…,"message":…, metadata…}`.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String) {
        self.label = label
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard let line = line(for: event) else { return }
        FileHandle.standardError.write(line)
    }

    /// The entry as one line of JSON, newline included. Every control character is a `\u` escape:
    /// `JSONEncoder` escapes U+0000–U+001F as JSON requires, and this the rest (DEL, C1 controls, the
    /// line and paragraph separators) that would reach a terminal or a line-based tool as they are.
    func line(for event: LogEvent) -> Data? {
        var object: [String: String] = [:]
        for (key, value) in metadata.merging(metadataProvider?.get() ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = "\(value)"
        }
        for (key, value) in event.metadata ?? [:] { object[key] = "\(value)" }
        object["ts"] = Date().formatted(.iso8601)
        object["level"] = event.level.rawValue
        object["label"] = label
        object["message"] = "\(event.message)"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? encoder.encode(object).escapingControls() else { return nil }
        line.append(0x0A)
        return line
    }
}

extension Data {
    /// JSON text with DEL, C1 controls, U+2028 and U+2029 written as `\u` escapes. Those bytes occur
    /// only inside strings (JSON's own syntax is ASCII), where an escape means the same character.
    fileprivate func escapingControls() -> Data {
        var result = Data(capacity: count)
        var index = startIndex
        func escape(_ code: Int) { result.append(contentsOf: Array(String(format: "\\u%04x", code).utf8)) }
        while index < endIndex {
            let byte = self[index]
            let next = index + 1 < endIndex ? self[index + 1] : 0
            if byte == 0x7F {
                escape(0x7F)
                index += 1
            } else if byte == 0xC2, (0x80...0x9F).contains(next) {
                escape(Int(next))
                index += 2
            } else if byte == 0xE2, next == 0x80, index + 2 < endIndex, self[index + 2] == 0xA8 || self[index + 2] == 0xA9 {
                escape(self[index + 2] == 0xA8 ? 0x2028 : 0x2029)
                index += 3
            } else {
                result.append(byte)
                index += 1
            }
        }
        return result
    }
}
