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

    @Test("an entry without line breaks is written as it is")
    func untouched() {
        let plain = TextLogHandler.oneLine(event("listening", ["port": "8081"]))
        #expect("\(plain.message)" == "listening")
        #expect(plain.metadata == ["port": "8081"])
    }
}
