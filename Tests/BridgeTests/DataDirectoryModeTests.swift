import Delivery
import Foundation
import JSON
import TestSupport
import Testing

/// What `serve` leaves on disk: the store holds raw events (emails, phone numbers) and failed requests.
@Suite("data directory modes", .serialized)
struct DataDirectoryModeTests {
    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("serve makes its data directory 0700 and the store, its WAL and the lock file 0600")
    func ownerOnly() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = dir.file("data/nested")
        let bridge = try BridgeProcess(dataDir: data)
        let segment = try await bridge.port("segment")
        let event = try JSONValue.parse(try Shared.fixture("segment-seed-track.json"))
        let status = try await SegmentPort.post(segment, event, client: CurlHTTPClient(threads: 1))
        #expect(status == 200)
        #expect(try mode(dir.file("data")) == 0o700)
        #expect(try mode(data) == 0o700)
        for file in ["bridge.lock", SQLiteStore.fileName, SQLiteStore.fileName + "-wal", SQLiteStore.fileName + "-shm"] {
            #expect(try mode((data as NSString).appendingPathComponent(file)) == 0o600, "\(file)")
        }
        bridge.terminate()
        #expect(try await bridge.waitForExit() == 0)
    }

    @Test("check-config creates a missing data directory 0700 too: serve keeps the mode of one that exists")
    func checkConfigOwnerOnly() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = dir.file("checked/nested")
        let result = try await BridgeProcess.run(["check-config"], environment: ["BRIDGE_DATA_DIR": data])
        #expect(result.status == 0, "\(result.output)\(result.errors)")
        #expect(try mode(dir.file("checked")) == 0o700)
        #expect(try mode(data) == 0o700)
    }
}
