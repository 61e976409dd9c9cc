import Delivery
import Foundation
import Inbound
import JSON
import Synchronization
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The built `bridge` executable, run as a child process with JSON logs, for crash and lifecycle tests.
final class BridgeProcess: Sendable {
    private let process: Process
    private let output = Locked(Data())
    let dataDir: String

    /// The executable beside the test bundle (`swift build` puts both in one products folder).
    static var executable: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("bridge")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return Shared.packageRoot.appendingPathComponent(".build/debug/bridge")
    }

    /// Starts `bridge serve` on free ports with `environment` added to a clean one. With neither
    /// credential in `environment` (nor `BRIDGE_DRY_RUN`), it runs dry, as `make run` does.
    init(dataDir: String, environment: [String: String] = [:], arguments: [String] = ["serve"]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable.path) else {
            throw TestFailure("\(Self.executable.path) is missing: run `swift build` before the tests (make test does)")
        }
        self.dataDir = dataDir
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        var env = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "BRIDGE_DATA_DIR": dataDir, "BRIDGE_HOST": "127.0.0.1",
            "BRIDGE_SEGMENT_PORT": "0", "BRIDGE_NOVU_PORT": "0", "BRIDGE_LOG_FORMAT": "json",
        ]
        if ["NOVU_API_KEY", "SEGMENT_WRITE_KEY", "BRIDGE_DRY_RUN"].allSatisfy({ environment[$0] == nil }) {
            env["BRIDGE_DRY_RUN"] = "1"
        }
        env.merge(environment) { _, new in new }
        process.environment = env
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        self.process = process
        pipe.fileHandleForReading.readabilityHandler = { [output] handle in
            let chunk = handle.availableData
            if !chunk.isEmpty { output.withLock { $0.append(chunk) } }
        }
        try process.run()
    }

    /// Everything the process wrote so far.
    var log: String { String(decoding: output.value, as: UTF8.self) }

    /// The log's JSON lines.
    var logLines: [JSONValue] {
        log.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
    }

    /// The port the bridge bound for `name` (`segment`, `novu`), once it is listening.
    func port(_ name: String) async throws -> Int {
        let listening = { @Sendable [self] () -> Int? in
            logLines.first { $0["message"] == "listening" && $0["port.name"]?.stringValue == name }?["port"]?
                .stringValue.flatMap(Int.init)
        }
        try await waitUntil("the \(name) port listens") { [self] in
            if listening() == nil, !process.isRunning { throw TestFailure("bridge exited early:\n\(log)") }
            return listening() != nil
        }
        return listening() ?? 0
    }

    var isRunning: Bool { process.isRunning }

    func kill() async throws {
        Glibc.kill(process.processIdentifier, SIGKILL)
        _ = try await waitForExit()
    }

    func terminate() {
        Glibc.kill(process.processIdentifier, SIGTERM)
    }

    /// Waits for the process to end and returns its exit status.
    func waitForExit(timeout: Duration = .seconds(20)) async throws -> Int32 {
        try await waitUntil("the bridge exits", timeout: timeout) { [self] in !process.isRunning }
        return process.terminationStatus
    }

    /// Waits for the process to end like `waitForExit`, and returns the CPU seconds (user and system) it
    /// used from this call on, read from `/proc` at each poll until it is gone (the last poll misses at
    /// most one interval of it).
    func waitForExitMeasuringCPU(timeout: Duration = .seconds(20)) async throws -> (status: Int32, cpuSeconds: Double) {
        let stat = "/proc/\(process.processIdentifier)/stat"
        @Sendable func ticks() -> Double? {
            guard let text = try? String(contentsOfFile: stat, encoding: .utf8), let end = text.lastIndex(of: ")") else { return nil }
            // After the command name in parentheses: state is field 3, utime and stime are fields 14 and 15.
            let fields = text[text.index(after: end)...].split(separator: " ")
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
            return user + system
        }
        let first = ticks() ?? 0
        let last = Locked(first)
        try await waitUntil("the bridge exits", timeout: timeout) { [self] in
            if let now = ticks() { last.withLock { $0 = max($0, now) } }
            return !process.isRunning
        }
        return (process.terminationStatus, (last.value - first) / Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}

extension BridgeProcess {
    /// Runs a one-shot command of the binary (`dlq list`, `check-config`, …) to its end.
    static func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        input: Data? = nil
    ) async throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        env.merge(environment) { _, new in new }
        process.environment = env
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let stdin = Pipe()
        process.standardInput = stdin
        let out = Locked(Data())
        let err = Locked(Data())
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            out.withLock { $0.append(chunk) }
        }
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            err.withLock { $0.append(chunk) }
        }
        try process.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try stdin.fileHandleForWriting.close()
        do {
            try await waitUntil("`bridge \(arguments.joined(separator: " "))` ends", timeout: .seconds(60)) { !process.isRunning }
        } catch {
            // A command that hangs would otherwise outlive the test, holding its data directory.
            Glibc.kill(process.processIdentifier, SIGKILL)
            throw error
        }
        // Let the pipes drain what the process wrote last.
        stdout.fileHandleForReading.readabilityHandler = nil
        stderr.fileHandleForReading.readabilityHandler = nil
        let restOut = stdout.fileHandleForReading.readDataToEndOfFile()
        let restErr = stderr.fileHandleForReading.readDataToEndOfFile()
        out.withLock { $0.append(restOut) }
        err.withLock { $0.append(restErr) }
        return (
            process.terminationStatus, String(decoding: out.value, as: UTF8.self), String(decoding: err.value, as: UTF8.self)
        )
    }
}

/// What the process tests send to the segment port.
enum SegmentPort {
    /// A seed-convention track event for `user`.
    static func trigger(_ id: String, user: String = "u1") -> JSONValue {
        [
            "type": "track", "event": "E", "messageId": .string(id), "userId": .string(user),
            "properties": ["environment": "development", "name": "wf", "user": ["subscriberId": .string(user)]],
        ]
    }

    /// Posts `body` (an event or an array of them) to the segment port's `/`; returns the status.
    static func post(_ port: Int, _ body: JSONValue, client: CurlHTTPClient) async throws -> Int {
        try await answer(port, body, client: client).status
    }

    /// Posts `body` to the segment port's `/`; returns the whole answer.
    static func answer(_ port: Int, _ body: JSONValue, client: CurlHTTPClient) async throws -> HTTPClientResponse {
        try await client.execute(
            HTTPClientRequest(
                method: "POST",
                url: "http://127.0.0.1:\(port)/",
                headers: [("Content-Type", "application/json")],
                body: body.encoded()
            )
        )
    }
}

/// Requests to a running bridge's novu port.
enum NovuPort {
    /// Posts `body` unsigned (the bridge runs with `BRIDGE_ACCEPT_UNSIGNED=1`) to `/webhooks/novu`.
    static func postUnsigned(_ port: Int, _ body: Data, id: String? = nil, client: CurlHTTPClient) async throws -> HTTPClientResponse {
        try await client.execute(
            HTTPClientRequest(
                method: "POST",
                url: "http://127.0.0.1:\(port)/webhooks/novu",
                headers: [("Content-Type", "application/json")] + (id.map { [("webhook-id", $0)] } ?? []),
                body: body
            )
        )
    }

    /// Posts `body` to `/webhooks/novu` signed with `secret` as Novu (Svix) signs, stamped now.
    static func postSigned(_ port: Int, _ body: Data, secret: String, id: String, client: CurlHTTPClient) async throws -> HTTPClientResponse
    {
        let stamp = String(Int(Date().timeIntervalSince1970))
        let signature = try SvixSignature.sign(secret: secret, id: id, timestamp: stamp, body: Array(body))
        return try await client.execute(
            HTTPClientRequest(
                method: "POST",
                url: "http://127.0.0.1:\(port)/webhooks/novu",
                headers: [
                    ("Content-Type", "application/json"), ("webhook-id", id), ("webhook-timestamp", stamp),
                    ("webhook-signature", signature),
                ],
                body: body
            )
        )
    }
}
