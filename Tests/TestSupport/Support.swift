import Delivery
import Foundation
import JSON
import Logging
import Synchronization

/// A fresh directory under the system temp dir, removed when the value is dropped by the test.
package struct TemporaryDirectory: Sendable {
    package let path: String

    package init() throws {
        path = NSTemporaryDirectory() + "bridge-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    package func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    package func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}

/// The project's shared material (`../shared` beside the checkout).
package enum Shared {
    /// The package root, from this file's place in it.
    package static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    package static let directory = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

    /// The bytes of `shared/fixtures/<name>`.
    package static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent("fixtures").appendingPathComponent(name))
    }

    /// `shared/reference/novu-openapi.json`, parsed.
    package static func novuOpenAPI() throws -> JSONValue {
        try JSONValue.parse(try Data(contentsOf: directory.appendingPathComponent("reference/novu-openapi.json")))
    }
}

/// Waits until `condition` holds, checking every 20 ms, or throws after `timeout`. For state that
/// changes in another process or task with no event to await (a row in SQLite, a log line).
package func waitUntil(
    _ what: String,
    timeout: Duration = .seconds(15),
    _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestFailure("timed out waiting until \(what)")
}

/// Segment's answer to a batch it took (it answers 200 even to events it drops).
package let segmentAccepted = FakeResponse(status: 200, json: ["success": true])

/// Novu's answer to a processed trigger.
package let novuProcessed = FakeResponse(
    status: 201,
    json: ["data": ["acknowledged": true, "status": "processed"]]
)

/// Novu's answer to a bulk trigger of `count` events, every one processed.
package func novuBulkProcessed(_ count: Int) -> FakeResponse {
    FakeResponse(status: 201, json: ["data": .array((0..<count).map { _ in ["acknowledged": true, "status": "processed"] })])
}

/// A fake Novu that processes every trigger, single or bulk.
package let novuProcessesAll: FakeServer.Responder = { request in
    guard request.path == "/v1/events/trigger/bulk" else { return novuProcessed }
    return novuBulkProcessed(request.json["events"]?.arrayValue?.count ?? 0)
}

/// A value shared between tasks in a test (a class, so closures can capture it).
package final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    package init(_ value: Value) {
        mutex = Mutex(value)
    }

    package var value: Value { mutex.withLock { $0 } }

    @discardableResult
    package func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}

/// A logger that stays quiet: tests look at behaviour, and a failure's log lines would only bury its report.
package func quietLogger(_ label: String = "test") -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .critical
    return logger
}

/// Runs `body` against a store `open` makes in a fresh directory, then `close`s it (removing what it made
/// outside the directory), whether `body` throws or not. For the suites that run against every store.
package func withFreshStore<Store>(
    open: (TemporaryDirectory) async throws -> Store,
    close: (Store) async -> Void,
    _ body: (Store) async throws -> Void
) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let store = try await open(directory)
    do {
        try await body(store)
    } catch {
        await close(store)
        throw error
    }
    await close(store)
}
