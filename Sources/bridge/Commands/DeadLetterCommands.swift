import ArgumentParser
import Delivery
import Foundation

/// `bridge dlq …`: the dead-letter queue.
struct DeadLetters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Inspect, replay or purge dead-lettered events (works while serve runs).",
        subcommands: [List.self, Show.self, Replay.self, Purge.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var filter: FilterOptions
        @Flag(help: "One JSON array instead of a table.") var json = false

        func run() async throws {
            let letters = try await store.open().deadLetters(try filter.filter())
            if json {
                print(try CLIOutput.json(letters))
                return
            }
            var rows = [["ID", "DESTINATION", "USER", "KIND", "REASON", "STATUS", "ATTEMPTS", "FIRST ATTEMPT", "LAST ATTEMPT"]]
            for letter in letters {
                rows.append([
                    String(letter.id), letter.destination, letter.user.isEmpty ? "-" : letter.user, letter.kind, letter.reason,
                    letter.status.map(String.init) ?? "-", String(letter.attempts), CLIOutput.time(letter.firstAttemptAt),
                    CLIOutput.time(letter.lastAttemptAt),
                ])
            }
            print(CLIOutput.table(rows))
            print("\(letters.count) dead letter\(letters.count == 1 ? "" : "s")")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one dead letter: the event, the request, every attempt.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The dead letter's id.") var id: Int64
        @Flag(help: "JSON instead of text.") var json = false

        func run() async throws {
            guard let detail = try await store.open().deadLetter(id: id) else {
                throw CLIFailure("no dead letter with id \(id)")
            }
            if json {
                print(try CLIOutput.json(detail))
                return
            }
            let letter = detail.letter
            // Users, reasons, events and answers come from outside: printed as they are, an escape sequence
            // in a userId would run in the operator's terminal.
            let shown = { (text: String) in CLIOutput.printable(text, keepLines: true) }
            let user = letter.user.isEmpty ? "(no user)" : CLIOutput.printable(letter.user)
            print("dead letter \(letter.id): \(letter.destination) \(letter.kind) for \(user)")
            print(
                "reason: \(CLIOutput.printable(letter.reason))   status: \(letter.status.map(String.init) ?? "-")   "
                    + "attempts: \(letter.attempts)"
            )
            print("\nevent:\n\(shown(detail.event ?? "(none)"))")
            print("\npayload:\n\(shown(detail.payload))")
            for (index, attempt) in detail.attempts.enumerated() {
                let answer = attempt.status.map { "HTTP \($0)" } ?? "no answer"
                print("\nattempt \(index + 1) at \(CLIOutput.time(attempt.at)): \(answer) — \(CLIOutput.printable(attempt.reason))")
                if let key = attempt.attemptKey { print("Idempotency-Key: \(CLIOutput.printable(key))") }
                if let request = attempt.request { print("request:\n\(shown(request))") }
                if let response = attempt.response, !response.isEmpty { print("response:\n\(shown(response))") }
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue dead letters again, with their original ids (destinations still dedupe)."
        )
        @OptionGroup var store: StoreOptions
        @OptionGroup var filter: FilterOptions
        @Argument(help: "Ids to replay.") var ids: [Int64] = []
        @Flag(help: "Replay every dead letter that matches the filters.") var all = false

        func validate() throws {
            if ids.isEmpty, !all { throw ValidationError("name the ids to replay, or --all") }
        }

        func run() async throws {
            let count = try await store.open().replayDeadLetters(try filter.filter(ids: ids.isEmpty ? nil : ids))
            print("replayed \(count) dead letter\(count == 1 ? "" : "s")")
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete dead letters for good.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var filter: FilterOptions
        @Argument(help: "Ids to purge.") var ids: [Int64] = []
        @Flag(help: "Purge every dead letter that matches the filters.") var all = false

        func validate() throws {
            if ids.isEmpty, !all { throw ValidationError("name the ids to purge, or --all") }
        }

        func run() async throws {
            let count = try await store.open().purgeDeadLetters(try filter.filter(ids: ids.isEmpty ? nil : ids))
            print("purged \(count) dead letter\(count == 1 ? "" : "s")")
        }
    }
}

/// How the CLI prints: aligned tables, ISO times, pretty JSON.
enum CLIOutput {
    /// `text` with every control character, and every character that reorders text on screen, written as
    /// `\u{…}`: C0 and C1 controls (ESC starts terminal sequences), DEL, and the bidirectional overrides.
    /// With `keepLines`, newlines and tabs stay.
    static func printable(_ text: String, keepLines: Bool = false) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let value = scalar.value
            let kept = keepLines && (scalar == "\n" || scalar == "\t")
            let control = value < 0x20 || (0x7F...0x9F).contains(value)
            let reordering = (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value)
            if (control || reordering) && !kept {
                out.append(contentsOf: "\\u{\(String(value, radix: 16))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    static func table(_ rows: [[String]]) -> String {
        let rows = rows.map { $0.map { printable($0) } }
        guard let header = rows.first else { return "" }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func time(_ date: Date?) -> String {
        date.map { $0.formatted(.iso8601) } ?? "-"
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
