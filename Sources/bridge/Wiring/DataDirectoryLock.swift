import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on `bridge.lock` in the data directory: two `serve` processes on one store
/// would release each other's claims at start and send jobs twice. CLI commands do not take it.
struct DataDirectoryLock: Sendable {
    private let descriptor: Int32

    struct Busy: Error, CustomStringConvertible {
        var description: String
        /// Another process holds the lock (as opposed to: the lock file cannot be made).
        var anotherServer = false
    }

    init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("bridge.lock")
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw Busy(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw Busy(description: "another bridge is serving from \(directory)", anotherServer: true)
        }
        self.descriptor = descriptor
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
