import Delivery
import Foundation
import JSON
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// DESIGN §5: exit 0 within `BRIDGE_SHUTDOWN_TIMEOUT`, whatever the clients do.
@Suite("shutdown with a slow client", .serialized)
struct ShutdownTests {
    @Test("a request whose body never ends does not hold the exit past the timeout; sends in flight are released")
    func slowBody() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // Novu holds every request: the events are in flight when the signal comes.
        let novu = try await FakeServer.start { _ in FakeResponse(status: 503, delay: .seconds(60)) }
        defer { novu.stop() }
        let bridge = try BridgeProcess(
            dataDir: dir.path,
            environment: ["NOVU_API_KEY": "k", "NOVU_API_URL": novu.baseURL, "BRIDGE_SHUTDOWN_TIMEOUT": "2s"]
        )
        let segment = try await bridge.port("segment")
        #expect(try await SegmentPort.post(segment, SegmentPort.trigger("slow-1"), client: CurlHTTPClient(threads: 1)) == 200)
        try await novu.waitForRequests(1)
        // One whole request, then in the same write the headers and the start of a 1000-byte body, and
        // nothing more: the idle timeout (30 s) is far off. The answer to the first shows the server
        // has read the second's start too (one write, one read).
        let whole = String(decoding: SegmentPort.trigger("slow-2").encoded(), as: UTF8.self)
        let slow = try RawConnection.open(
            segment,
            sending: "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(whole.utf8.count)\r\n\r\n"
                + whole
                + "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"type\":"
        )
        defer { close(slow) }
        // Each recv gives up after 1 s, so a bridge that never answers fails the test at the deadline
        // instead of blocking it for ever.
        var limit = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(slow, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let deadline = ContinuousClock.now + .seconds(15)
        var answer: [UInt8] = []
        while !String(decoding: answer, as: UTF8.self).contains("\"accepted\":1") {
            guard ContinuousClock.now < deadline else { throw TestFailure("no answer to the first request within 15 s") }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = recv(slow, &chunk, chunk.count, 0)
            // EAGAIN: the 1 s limit passed with nothing to read; EINTR: a signal. Look at the deadline again.
            if count < 0, errno == EAGAIN || errno == EINTR { continue }
            guard count > 0 else { throw TestFailure("the connection closed before the first answer") }
            answer += chunk[..<count]
        }
        #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        let stopping = ContinuousClock.now
        bridge.terminate()
        let status = try await bridge.waitForExit()
        let took = ContinuousClock.now - stopping
        #expect(status == 0)
        // 2 s, plus margin for a loaded machine; it took 31 s before (the idle timeout).
        #expect(took < .seconds(6), "shutdown took \(took)")
        // The slow request got no acknowledgement: the connection closed without an answer.
        var byte: UInt8 = 0
        #expect(recv(slow, &byte, 1, 0) <= 0)
        // The events in flight went back to the queue, for the next start.
        let store = try SQLiteStore(directory: dir.path)
        #expect(try await store.stateCounts() == ["pending": 2])
        #expect(try await store.releaseAllClaims() == 0)
    }
}
