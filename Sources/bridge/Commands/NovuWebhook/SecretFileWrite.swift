import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a secret to the file the bridge reads it from (`NOVU_WEBHOOK_SECRET_FILE`): mode 0600 from the
/// first byte, and atomically, so a `serve` starting meanwhile reads the old secret or the new one, never
/// half of one.
enum SecretFileWrite {
    enum Outcome: Equatable {
        case written
        /// The file already held the secret; only its mode was corrected, if it had to be.
        case unchanged
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes `secret` and a newline to `path` unless the file holds it already (surrounding whitespace
    /// aside, as the configuration reader trims it). The failure names the path and the reason, never
    /// the content.
    static func write(_ secret: String, to path: String) throws(Failure) -> Outcome {
        if case .success(let current) = SecretFile.contents(of: path), BridgeConfiguration.trimmed(current) == secret {
            guard chmod(path, 0o600) == 0 else { throw failure("cannot set mode 0600 on \(path)") }
            return .unchanged
        }
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var template = Array(((directory.isEmpty ? "." : directory) + "/.\(name).XXXXXX").utf8CString)
        // mkstemp creates the file with mode 0600 and O_EXCL: no moment when another user could read it.
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw failure("cannot create a file beside \(path)") }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        let bytes = Array((secret + "\n").utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced else { throw failure("cannot write beside \(path)") }
        guard rename(temporary, path) == 0 else { throw failure("cannot replace \(path)") }
        ok = true
        return .written
    }

    private static func failure(_ message: String) -> Failure {
        Failure(description: "\(message): \(String(cString: strerror(errno)))")
    }
}
