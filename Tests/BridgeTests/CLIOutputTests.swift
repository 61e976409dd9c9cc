import Delivery
import Foundation
import TestSupport
import Testing

/// What the CLI prints of data that came from outside.
@Suite("CLI output of outside data", .serialized)
struct CLIOutputTests {
    @Test("dlq list and show print control characters and bidi overrides escaped, never raw")
    func noTerminalSequences() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        // A userId that would set the terminal's title, clear the screen and flip the text around it.
        let hostile = "victim\u{1B}]0;owned\u{07}\u{1B}[2J\u{202E}kcab\u{9B}"
        let results = try await store.enqueue([
            NewJob(
                destination: "novu",
                orderingKey: hostile,
                kind: "subscriber.upsert",
                payload: Data("{}".utf8),
                event: Data("{\"userId\":\"\(hostile)\"}".utf8),
                deadLetterReason: "HTTP 422: bad \u{1B}[31memail\u{1B}[0m"
            )
        ])
        guard case .accepted(let id) = results.first else { throw TestFailure("not queued: \(results)") }
        let list = try await BridgeProcess.run(["dlq", "list", "--data-dir", dir.path])
        let show = try await BridgeProcess.run(["dlq", "show", String(id), "--data-dir", dir.path])
        for result in [list, show] {
            #expect(result.status == 0, "\(result.errors)")
            for raw: Unicode.Scalar in ["\u{1B}", "\u{07}", "\u{202E}", "\u{9B}"] {
                #expect(!result.output.unicodeScalars.contains(raw), "raw U+\(String(raw.value, radix: 16)) printed")
            }
            #expect(result.output.contains(#"victim\u{1b}]0;owned\u{7}\u{1b}[2J\u{202e}kcab\u{9b}"#))
            #expect(result.output.contains(#"HTTP 422: bad \u{1b}[31memail\u{1b}[0m"#))
        }
    }
}
