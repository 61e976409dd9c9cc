import Foundation
import TestSupport
import Testing

@testable import bridge

@Suite("Secret file written by novu webhook setup")
struct SecretFileWriteTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    func mode(_ path: String) throws -> Int? {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
    }

    func inode(_ path: String) throws -> NSNumber? {
        try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber
    }

    @Test("a new file: the secret and a newline, mode 0600, no temporary file left")
    func new() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("secret")
        #expect(try SecretFileWrite.write(Self.secret, to: path) == .written)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == Self.secret + "\n")
        #expect(try mode(path) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["secret"])
    }

    @Test("the same secret (a trailing newline aside) is left in place; a loose mode is tightened")
    func unchanged() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("secret")
        try Data((Self.secret + "\r\n").utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let before = try inode(path)
        #expect(try SecretFileWrite.write(Self.secret, to: path) == .unchanged)
        #expect(try inode(path) == before)
        #expect(try mode(path) == 0o600)
    }

    @Test("a different secret replaces the file by rename, mode 0600")
    func replaced() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("secret")
        try Data("whsec_old\n".utf8).write(to: URL(fileURLWithPath: path))
        let before = try inode(path)
        #expect(try SecretFileWrite.write(Self.secret, to: path) == .written)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == Self.secret + "\n")
        #expect(try inode(path) != before)
        #expect(try mode(path) == 0o600)
    }

    @Test("a directory that does not exist is a failure naming the path, not the secret")
    func missingDirectory() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("nowhere/secret")
        #expect {
            try SecretFileWrite.write(Self.secret, to: path)
        } throws: { error in
            "\(error)".contains(path) && !"\(error)".contains("MfKQ9r8G")
        }
    }
}

@Suite("--since")
struct SinceTextTests {
    let now = Date(timeIntervalSince1970: 1_796_000_000)

    @Test("a duration back from now, or an ISO 8601 time; anything else is nil")
    func parse() {
        #expect(SinceText.parse("6h", now: now) == now.addingTimeInterval(-6 * 3600))
        #expect(SinceText.parse("2d", now: now) == now.addingTimeInterval(-2 * 86400))
        #expect(SinceText.parse("2026-12-01T08:30:00Z", now: now) == Date(timeIntervalSince1970: 1_796_113_800))
        #expect(SinceText.parse("yesterday", now: now) == nil)
    }
}
