import Delivery
import JSON
import Logging
import Testing

@testable import bridge

/// The text log format: one line per entry, whatever the entry holds.
@Suite("text log lines")
struct TextLogTests {
    func event(_ message: Logger.Message, _ metadata: Logger.Metadata?) -> LogEvent {
        LogEvent(level: .info, message: message, metadata: metadata, source: nil, file: #fileID, function: #function, line: #line)
    }

    @Test("line breaks in the message and in metadata values, nested ones too, are written as \\n and \\r")
    func lineBreaksEscaped() {
        let forged = "u1\n2026-11-30T00:00:00+0000 critical bridge: [bridge] forged"
        let escaped = TextLogHandler.oneLine(
            event(
                "dry run:\nPOST /v1/events/trigger",
                [
                    "user.id": .string(forged), "request": .stringConvertible("POST /x\r\nAuthorization: ApiKey [redacted]"),
                    "nested": .dictionary(["list": .array([.string("a\nb")])]), "plain": "kept",
                ]
            )
        )
        #expect("\(escaped.message)" == #"dry run:\nPOST /v1/events/trigger"#)
        #expect(escaped.metadata?["user.id"] == .string(#"u1\n2026-11-30T00:00:00+0000 critical bridge: [bridge] forged"#))
        #expect(escaped.metadata?["request"] == .string(#"POST /x\r\nAuthorization: ApiKey [redacted]"#))
        #expect(escaped.metadata?["nested"] == .dictionary(["list": .array([.string(#"a\nb"#)])]))
        #expect(escaped.metadata?["plain"] == "kept")
    }

    /// Control characters a client can put in a value it chooses (a userId, an event name), escaped.
    static let controls: [(raw: String, escaped: String)] = [
        ("a\u{1B}[2J\u{1B}[31mred", #"a\u{1B}[2J\u{1B}[31mred"#),  // clears the reader's screen, turns it red
        ("a\u{0}b", #"a\u{0}b"#), ("a\u{7F}b", #"a\u{7F}b"#), ("tab\there", #"tab\there"#),
        ("bell\u{7}", #"bell\u{7}"#), ("back\u{8}space", #"back\u{8}space"#), ("csi\u{9B}31m", #"csi\u{9B}31m"#),
        ("line\u{2028}sep", #"line\u{2028}sep"#), ("cr\ronly", #"cr\ronly"#), ("é ü 東京", "é ü 東京"),
    ]

    @Test("every control character in the message and in metadata values is escaped", arguments: controls)
    func controlsEscaped(raw: String, escaped: String) {
        let entry = TextLogHandler.oneLine(
            event(
                "\(raw)",
                ["value": .string(raw), "described": .stringConvertible(raw), "nested": .dictionary([raw: .array([.string(raw)])])]
            )
        )
        #expect("\(entry.message)" == escaped)
        #expect(entry.metadata?["value"] == .string(escaped))
        #expect(entry.metadata?["described"] == (raw == escaped ? .stringConvertible(raw) : .string(escaped)))
        #expect(entry.metadata?["nested"] == .dictionary([escaped: .array([.string(escaped)])]))
    }

    @Test("an entry without line breaks is written as it is")
    func untouched() {
        let plain = TextLogHandler.oneLine(event("listening", ["port": "8081"]))
        #expect("\(plain.message)" == "listening")
        #expect(plain.metadata == ["port": "8081"])
    }

    @Test("a JSON log line holds no control character as it is, and reads back as written", arguments: controls)
    func jsonEscaped(raw: String, escaped: String) throws {
        let handler = JSONLogHandler(label: "bridge")
        let line = try #require(handler.line(for: event("\(raw)", ["value": .string(raw)])))
        #expect(line.last == 0x0A)
        let text = String(decoding: line.dropLast(), as: UTF8.self)
        #expect(!text.unicodeScalars.contains(where: TextLogHandler.isControl), "\(text.debugDescription)")
        let object = try JSONValue.parse(line.dropLast())
        #expect(object["message"]?.stringValue == raw)
        #expect(object["value"]?.stringValue == raw)
    }
}
