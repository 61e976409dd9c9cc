import Foundation
import Synchronization

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
        try FileManager.default.createDirectory(
            atPath: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let path = (directory as NSString).appendingPathComponent("bridge.lock")
        // Readable by no one else: `flock` needs only a descriptor, so any user who could open the file
        // could hold the lock and keep every serve from starting.
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
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

/// The lock a `serve` holds for its whole life, taken before the store is first opened. When the data
/// directory cannot hold the lock file yet (a volume not mounted), serve starts anyway and answers 503;
/// the store's open then takes the lock first, so a store is never opened without it, and a second serve
/// started meanwhile cannot share the store (its claims released, its jobs sent twice).
final class DataDirectoryLockHolder: Sendable {
    private let directory: String
    private let held = Mutex<DataDirectoryLock?>(nil)

    init(directory: String) {
        self.directory = directory
    }

    /// Takes the lock unless already held; throws `DataDirectoryLock.Busy` when it cannot.
    func acquire() throws {
        try held.withLock { held in
            if held == nil { held = try DataDirectoryLock(directory: directory) }
        }
    }

    func release() {
        held.withLock { held in
            held?.release()
            held = nil
        }
    }
}
