import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension BridgeConfiguration {
    /// The variable naming the file a secret may be read from: `NOVU_API_KEY_FILE` for `NOVU_API_KEY`.
    static func fileVariable(_ name: String) -> String { name + "_FILE" }

    /// The file a secret variable is read from, when its `_FILE` twin is set (not blank); `nil` for a
    /// variable that is not a secret, whose `_FILE` twin means nothing.
    static func secretFile(_ name: String, in environment: [String: String]) -> String? {
        guard secretVariables.contains(name), let path = environment[fileVariable(name)].map(trimmed), !path.isEmpty else {
            return nil
        }
        return path
    }

    /// `value` without surrounding whitespace, CR and LF: a key file usually ends in a newline, which
    /// went into the request's header line.
    static func trimmed(_ value: String) -> String {
        value.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The first C0 control character or DEL in `value`, if any.
    static func controlCharacter(in value: String) -> Unicode.Scalar? {
        value.unicodeScalars.first { $0.value < 0x20 || $0.value == 0x7F }
    }
}

/// Reads a secret file whole, as text. Its content never appears in a failure.
enum SecretFile {
    /// Why a file could not be read.
    struct Failure: Error, Equatable {
        var reason: String
    }

    /// More than a key, a token list or a database URL ever needs: a path to `/dev/zero` must not hang.
    static let largest = 64 * 1024

    static func contents(of path: String) -> Result<String, Failure> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(Failure(reason: String(cString: strerror(errno)))) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Failure(reason: String(cString: strerror(errno))))
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[..<count])
            guard bytes.count <= largest else { return .failure(Failure(reason: "larger than \(largest / 1024) KiB")) }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(Failure(reason: "not UTF-8 text"))
        }
        return .success(text)
    }
}
