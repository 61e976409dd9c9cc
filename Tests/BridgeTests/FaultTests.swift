import Delivery
import Foundation
import JSON
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Faults an operator meets, against the built binary and its CLI.
@Suite("Faults", .serialized)
struct FaultTests {
    @Test("401 from Novu: readyz 503 naming novu, nothing dead-lettered; a working key delivers everything held")
    func credentialHold() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let keyWorks = Locked(false)
        let novu = try await FakeServer.start { _ in
            keyWorks.value ? novuProcessed : FakeResponse(status: 401, json: ["message": "API Key not found"])
        }
        defer { novu.stop() }
        let bridge = try BridgeProcess(
            dataDir: dir.path,
            environment: ["NOVU_API_KEY": "rotated-badly", "NOVU_API_URL": novu.baseURL, "BRIDGE_HOLD_PROBE_INTERVAL": "2s"]
        )
        let port = try await bridge.port("segment")
        let client = CurlHTTPClient(threads: 2)
        for index in 0..<5 {
            #expect(try await SegmentPort.post(port, SegmentPort.trigger("hold-\(index)", user: "user-\(index)"), client: client) == 200)
        }
        try await waitUntil("readyz reports the hold", timeout: .seconds(10)) {
            let ready = try await client.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(port)/readyz"))
            return ready.status == 503 && String(decoding: ready.body, as: UTF8.self).contains("novu refused the credentials")
        }
        let list = try await BridgeProcess.run(["dlq", "list", "--json", "--data-dir", dir.path])
        #expect(list.status == 0)
        #expect(try JSONValue.parse(Data(list.output.utf8)) == [])
        let refusal = { @Sendable (line: JSONValue) in line["message"]?.stringValue?.contains("refused the credentials") == true }
        // The log reaches this process through a pipe: wait for the line, then check it came once.
        try await waitUntil("the hold is logged") { bridge.logLines.contains(where: refusal) }
        #expect(bridge.logLines.filter(refusal).count == 1)

        let store = try SQLiteStore(directory: dir.path)
        keyWorks.withLock { $0 = true }
        let switched = ContinuousClock.now
        try await waitUntil("every held event is delivered", timeout: .seconds(20)) {
            try await store.stateCounts() == ["delivered": 5]
        }
        // One probe interval (2 s) plus the time to send five events.
        #expect(ContinuousClock.now - switched < .seconds(8))
        let ready = try await client.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(port)/readyz"))
        #expect(ready.status == 200)
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
        #expect(!bridge.log.contains("rotated-badly"))
    }

    @Test("a 422 is dead-lettered with its status and Novu's message; dlq replay --all delivers it with its transactionId")
    func deadLetterReplay() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let fixed = Locked(false)
        let novu = try await FakeServer.start { _ in
            fixed.value ? novuProcessed : FakeResponse(status: 422, json: ["message": "payload.orderId must be a string"])
        }
        defer { novu.stop() }
        let bridge = try BridgeProcess(dataDir: dir.path, environment: ["NOVU_API_KEY": "k", "NOVU_API_URL": novu.baseURL])
        let port = try await bridge.port("segment")
        let client = CurlHTTPClient(threads: 1)
        #expect(try await SegmentPort.post(port, SegmentPort.trigger("dlq-1"), client: client) == 200)
        try await novu.waitForRequests(1)
        let letters = Locked([JSONValue]())
        try await waitUntil("the event is dead-lettered") {
            let list = try await BridgeProcess.run(["dlq", "list", "--json", "--data-dir", dir.path])
            let parsed = (try? JSONValue.parse(Data(list.output.utf8)))?.arrayValue ?? []
            letters.withLock { $0 = parsed }
            return parsed.count == 1
        }
        let letter = try #require(letters.value.first)
        #expect(letter["status"] == 422)
        #expect(letter["reason"] == "HTTP 422")
        #expect(letter["destination"] == "novu")
        #expect(letter["user"] == "u1")
        // The relay logs before it settles, but the log reaches this process through a pipe: wait for it.
        try await waitUntil("the dead letter is logged") { bridge.logLines.contains { $0["message"] == "dead-lettered" } }
        let logged = try #require(bridge.logLines.first { $0["message"] == "dead-lettered" })
        #expect(logged["attempt"] == "1")
        #expect(logged["status"] == "422")
        #expect(logged["destination"] == "novu")
        let id = try #require(letter["id"]?.scalarText)
        let show = try await BridgeProcess.run(["dlq", "show", id, "--data-dir", dir.path])
        #expect(show.status == 0)
        #expect(show.output.contains("payload.orderId must be a string"))
        #expect(show.output.contains("\"messageId\":\"dlq-1\""))
        #expect(show.output.contains("Authorization: ApiKey [redacted]"))
        let table = try await BridgeProcess.run(["dlq", "list", "--data-dir", dir.path])
        #expect(table.output.contains("HTTP 422"))

        fixed.withLock { $0 = true }
        let replay = try await BridgeProcess.run(["dlq", "replay", "--all", "--data-dir", dir.path])
        #expect(replay.status == 0)
        #expect(replay.output.contains("replayed 1 dead letter"))
        let requests = try await novu.waitForRequests(2)
        #expect(requests[1].json["transactionId"] == "seg-dlq-1")
        #expect(requests[1].headers["idempotency-key"] == "seg-dlq-1.r2")
        try await waitUntil("the dead-letter queue is empty") {
            let list = try await BridgeProcess.run(["dlq", "list", "--json", "--data-dir", dir.path])
            return (try? JSONValue.parse(Data(list.output.utf8))) == []
        }
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
    }

    @Test("purge removes dead letters; replay and purge need ids or --all")
    func purge() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(directory: dir.path)
        var dead = NewJob(destination: "segment", orderingKey: nil, kind: "track", payload: Data("{}".utf8))
        dead.deadLetterReason = "no subscriber"
        _ = try await store.enqueue([dead, dead])
        let refused = try await BridgeProcess.run(["dlq", "purge", "--data-dir", dir.path])
        #expect(refused.status != 0)
        #expect(refused.errors.contains("--all"))
        let filtered = try await BridgeProcess.run(["dlq", "purge", "--all", "--reason", "expired", "--data-dir", dir.path])
        #expect(filtered.output.contains("purged 0 dead letters"))
        let purged = try await BridgeProcess.run(["dlq", "purge", "1", "--data-dir", dir.path])
        #expect(purged.output.contains("purged 1 dead letter"))
        #expect(try await store.deadLetterCount() == 1)
        let missing = try await BridgeProcess.run(["dlq", "list", "--data-dir", dir.file("nowhere")])
        #expect(missing.status != 0)
        #expect(missing.errors.contains("no store at"))
    }

    @Test("a read-only data directory: ingest and readyz answer 503, never 200; the service recovers with the disk")
    func readOnlyStore() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // A real filesystem that can be made read-only. Linux refuses to remount a filesystem read-only
        // while a file on it is open for writing, so the bridge meets it read-only when it starts.
        let mountPoint = dir.file("mnt")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try shell("mount -t tmpfs -o size=64m tmpfs \(mountPoint)")
        defer { _ = try? shell("umount -l \(mountPoint)") }
        let novu = try await FakeServer.start { _ in novuProcessed }
        defer { novu.stop() }
        let environment = ["NOVU_API_KEY": "k", "NOVU_API_URL": novu.baseURL]
        let client = CurlHTTPClient(threads: 1)

        let first = try BridgeProcess(dataDir: mountPoint, environment: environment)
        #expect(try await SegmentPort.post(try await first.port("segment"), SegmentPort.trigger("ro-0"), client: client) == 200)
        try await novu.waitForRequests(1)
        first.terminate()
        #expect(try await first.waitForExit() == 0)

        try shell("mount -o remount,ro \(mountPoint)")
        let bridge = try BridgeProcess(dataDir: mountPoint, environment: environment)
        let port = try await bridge.port("segment")
        for index in 1...3 { #expect(try await SegmentPort.post(port, SegmentPort.trigger("ro-\(index)"), client: client) == 503) }
        let ready = try await client.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(port)/readyz"))
        #expect(ready.status == 503)
        #expect(String(decoding: ready.body, as: UTF8.self).contains(#""ready":false"#))
        #expect(String(decoding: ready.body, as: UTF8.self).contains("cannot open"))

        try shell("mount -o remount,rw \(mountPoint)")
        try await waitUntil("ingest works again", timeout: .seconds(20)) {
            try await SegmentPort.post(port, SegmentPort.trigger("ro-4"), client: client) == 200
        }
        let received = try await novu.waitForRequests(2).compactMap { $0.json["transactionId"]?.stringValue }
        #expect(!received.contains("seg-ro-1"))
        #expect(received.contains("seg-ro-4"))
        let readyAgain = try await client.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:\(port)/readyz"))
        #expect(readyAgain.status == 200)
        // The store was opened only once the disk came back, and it took the data directory's lock with it:
        // a second serve cannot share the store (it would release the first one's claims and send twice).
        let second = try BridgeProcess(dataDir: mountPoint, environment: environment)
        #expect(try await second.waitForExit() == 73)
        #expect(second.log.contains("another bridge is serving from"))
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
    }

    @discardableResult
    func shell(_ command: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else { throw TestFailure("`\(command)` failed: \(output)") }
        return output
    }
}
