import Foundation
import TestSupport
import Testing

@testable import bridge

/// Secrets read from the files their `_FILE` twins name; trimming; control characters (DESIGN §9).
@Suite("Secret files and value hygiene")
struct SecretFileTests {
    static let secrets = [
        "NOVU_API_KEY", "SEGMENT_WRITE_KEY", "NOVU_WEBHOOK_SECRET", "SEGMENT_SHARED_SECRET", "SEGMENT_AUTH_TOKEN",
        "BRIDGE_WRITE_KEYS", "BRIDGE_ADMIN_TOKEN", "BRIDGE_DATABASE_URL",
    ]

    /// Writes `content` to a new file in `dir` and returns its path.
    static func write(_ content: some Sequence<UInt8>, in dir: TemporaryDirectory, name: String = "secret") throws -> String {
        let path = dir.file(name)
        try Data(content).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("every secret variable is a secret, so it has a _FILE twin")
    func everySecretHasATwin() {
        #expect(BridgeConfiguration.secretVariables == Set(Self.secrets))
    }

    /// File contents as key files are written: by `echo`, on Windows, by hand.
    static let fileContents: [(content: String, value: String)] = [
        ("key-0123", "key-0123"), ("key-0123\n", "key-0123"), ("key-0123\r\n", "key-0123"),
        ("  key-0123 \t\n\n", "key-0123"), ("\nkey-0123", "key-0123"),
    ]

    @Test("a secret is read from the file NAME_FILE names, trimmed of whitespace and line breaks", arguments: secrets)
    func readFromFile(name: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for (content, value) in Self.fileContents {
            let path = try Self.write(Array(content.utf8), in: dir)
            var reader = Reader(environment: ["\(name)_FILE": path])
            #expect(reader.string(name) == value, "\(content.debugDescription)")
            #expect(reader.problems.isEmpty)
        }
    }

    @Test("load takes the keys the bridge sends and checks from their files")
    func loadReadsFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (config, problems) = BridgeConfiguration.load([
            "NOVU_API_KEY_FILE": try Self.write(Array("nk-from-file\n".utf8), in: dir, name: "novu"),
            "SEGMENT_WRITE_KEY_FILE": try Self.write(Array("sk-from-file\r\n".utf8), in: dir, name: "segment"),
            "BRIDGE_WRITE_KEYS_FILE": try Self.write(Array("a,b c\n".utf8), in: dir, name: "keys"),
            "NOVU_WEBHOOK_SECRET_FILE": try Self.write(Array("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n".utf8), in: dir, name: "hook"),
            "SEGMENT_SHARED_SECRET": "ss",
        ])
        #expect(problems.isEmpty, "\(problems)")
        #expect(config.novuAPIKey == "nk-from-file")
        #expect(config.segmentWriteKey == "sk-from-file")
        #expect(config.writeKeys == ["a", "b", "c"])
        #expect(config.novuWebhookSecrets == ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        #expect(config.segmentSharedSecrets == ["ss"])
    }

    @Test("values from the environment lose surrounding CR and LF too", arguments: ["NOVU_API_KEY", "BRIDGE_ENVIRONMENT"])
    func environmentTrimmed(name: String) {
        for raw in ["value\n", "value\r\n", "\r\n value \t", "\nvalue"] {
            var reader = Reader(environment: [name: raw])
            #expect(reader.string(name) == "value", "\(raw.debugDescription)")
            #expect(reader.problems.isEmpty)
        }
    }

    @Test("NAME and NAME_FILE both set is a problem naming both, and neither value is used", arguments: secrets)
    func bothSet(name: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try Self.write(Array("from-file-secret".utf8), in: dir)
        var reader = Reader(environment: [name: "from-env-secret", "\(name)_FILE": path])
        #expect(reader.string(name) == nil)
        #expect(reader.problems.map(\.variable) == [name])
        let message = reader.problems.first?.message ?? ""
        #expect(message.contains(name) && message.contains("\(name)_FILE"))
        #expect(!message.contains("from-env-secret") && !message.contains("from-file-secret"))
    }

    /// Files that cannot give a value, and what the problem must say.
    static let unreadable: [(label: String, make: @Sendable (TemporaryDirectory) throws -> String, says: String)] = [
        ("missing", { $0.file("nope") }, "No such file or directory"),
        ("a directory", { $0.path }, "Is a directory"),
        ("empty", { dir in try SecretFileTests.write([], in: dir) }, "is empty"),
        ("only a newline", { dir in try SecretFileTests.write(Array("\n".utf8), in: dir) }, "is empty"),
        ("not UTF-8", { dir in try SecretFileTests.write(Array("hidden-secret".utf8) + [0xFF, 0xFE], in: dir) }, "not UTF-8"),
        (
            "too large",
            { dir in try SecretFileTests.write(Array(repeating: UInt8(ascii: "k"), count: SecretFile.largest + 1), in: dir) },
            "larger than 64 KiB"
        ),
    ]

    @Test("an unreadable file is a problem naming NAME_FILE and the path, never the content", arguments: 0..<unreadable.count)
    func unreadableFile(index: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (label, make, says) = Self.unreadable[index]
        let path = try make(dir)
        var reader = Reader(environment: ["NOVU_API_KEY_FILE": path])
        #expect(reader.string("NOVU_API_KEY") == nil, "\(label)")
        #expect(reader.problems.map(\.variable) == ["NOVU_API_KEY_FILE"], "\(label)")
        let message = reader.problems.first?.message ?? ""
        #expect(message.contains(path) && message.contains(says), "\(label): \(message)")
        #expect(!message.contains("hidden-secret") && !message.contains("kkkk"), "\(label)")
    }

    @Test("a variable that is not a secret has no _FILE twin")
    func noTwinForOthers() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try Self.write(Array("production".utf8), in: dir)
        var reader = Reader(environment: ["BRIDGE_ENVIRONMENT_FILE": path])
        #expect(reader.string("BRIDGE_ENVIRONMENT") == nil)
        #expect(reader.problems.isEmpty)
    }

    /// Values that keep a control character after trimming: each would reach a header or a log line.
    static let controlled: [(value: String, code: String)] = [
        ("a\u{0}b", "U+0000"), ("a\nb", "U+000A"), ("a\rb", "U+000D"), ("a\tb", "U+0009"),
        ("\u{1B}[31mred", "U+001B"), ("a\u{7F}", "U+007F"), ("a\u{1F}b", "U+001F"),
    ]

    @Test("a value holding a control character is a problem naming the variable", arguments: controlled)
    func controlCharacter(value: String, code: String) {
        for name in ["BRIDGE_ENVIRONMENT", "NOVU_API_KEY", "BRIDGE_WRITE_KEYS"] {
            var reader = Reader(environment: [name: value])
            #expect(reader.string(name) == nil, "\(name)")
            #expect(reader.problems.map(\.variable) == [name])
            #expect(reader.problems.first?.message.contains(code) == true, "\(reader.problems)")
            #expect(reader.problems.first?.message.contains(value) == false)
        }
    }

    @Test("a control character in a secret file is a problem naming NAME_FILE, without the content")
    func controlCharacterInFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try Self.write(Array("first-secret\nsecond-secret\n".utf8), in: dir)
        let (_, problems) = BridgeConfiguration.load(["SEGMENT_WRITE_KEY_FILE": path])
        #expect(problems.map(\.variable) == ["SEGMENT_WRITE_KEY_FILE"])
        #expect(problems.first?.message.contains("U+000A") == true)
        #expect(problems.first?.message.contains("secret") == false)
    }

    @Test("a value read twice (once more to be shown in another problem) is reported once")
    func reportedOnce() {
        var reader = Reader(environment: ["BRIDGE_MAX_RETRY_AGE": "1\u{1B}h"])
        _ = reader.string("BRIDGE_MAX_RETRY_AGE")
        _ = reader.string("BRIDGE_MAX_RETRY_AGE")
        #expect(reader.problems.map(\.variable) == ["BRIDGE_MAX_RETRY_AGE"])
    }

    @Test("check-config says a secret came from its file, masked as any other")
    func checkConfigShowsTheFile() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try Self.write(Array("nk-secret-0123456789\n".utf8), in: dir, name: "novu-key")
        let result = try await BridgeProcess.run(
            ["check-config"],
            environment: ["NOVU_API_KEY_FILE": path, "SEGMENT_WRITE_KEY": "sk-secret-0123456789", "BRIDGE_DATA_DIR": dir.file("data")]
        )
        #expect(result.status == 0, "\(result.output)\(result.errors)")
        // The same fingerprint as the key given in the environment: the newline was not part of it.
        let lines = result.output.split(separator: "\n")
        let novu = lines.first { $0.hasPrefix("  NOVU_API_KEY ") } ?? ""
        let segment = lines.first { $0.hasPrefix("  SEGMENT_WRITE_KEY ") } ?? ""
        #expect(novu.hasSuffix(" set (sha256 6a8269f0) from NOVU_API_KEY_FILE (\(path))"), "\(novu)")
        #expect(segment.hasSuffix(" set (sha256 ed0198fa)"), "\(segment)")
        #expect(!(result.output + result.errors).contains("0123456789"))
    }
}
