import Delivery
import Foundation
import TestSupport
import Testing

@Suite("libcurl HTTP client")
struct CurlHTTPClientTests {
    @Test("sends method, headers and body, and reads status, headers and body")
    func roundTrip() async throws {
        let server = try await FakeServer.start { request in
            FakeResponse(status: 201, headers: ["x-answer": "42"], body: Data("hello \(request.method)".utf8))
        }
        defer { server.stop() }
        let client = CurlHTTPClient(threads: 2)
        let response = try await client.execute(
            HTTPClientRequest(
                method: "POST",
                url: server.baseURL + "/v1/things?x=1",
                headers: [("Content-Type", "application/json"), ("Authorization", "ApiKey k")],
                body: Data("{\"a\":1}".utf8)
            )
        )
        #expect(response.status == 201)
        #expect(response.headers["x-answer"] == "42")
        #expect(String(decoding: response.body, as: UTF8.self) == "hello POST")
        let seen = try #require(server.requests.first)
        #expect(seen.method == "POST")
        #expect(seen.path == "/v1/things?x=1")
        #expect(seen.headers["authorization"] == "ApiKey k")
        #expect(seen.headers["content-type"] == "application/json")
        #expect(seen.body == Data("{\"a\":1}".utf8))
    }

    @Test("DELETE without a body and GET work")
    func methods() async throws {
        let server = try await FakeServer.start { _ in FakeResponse(status: 204) }
        defer { server.stop() }
        let client = CurlHTTPClient(threads: 1)
        #expect(try await client.execute(HTTPClientRequest(method: "DELETE", url: server.baseURL + "/x")).status == 204)
        #expect(try await client.execute(HTTPClientRequest(method: "GET", url: server.baseURL + "/y")).status == 204)
        #expect(server.requests.map(\.method) == ["DELETE", "GET"])
    }

    @Test("consecutive requests reuse kept-alive connections")
    func keepAlive() async throws {
        let server = try await FakeServer.start { _ in FakeResponse(status: 200) }
        defer { server.stop() }
        let client = CurlHTTPClient(threads: 2)
        for _ in 0..<20 {
            _ = try await client.execute(HTTPClientRequest(method: "POST", url: server.baseURL + "/", body: Data("{}".utf8)))
        }
        // At most one per thread. The lower bound keeps a counter stuck at 0 from passing.
        #expect((1...2).contains(client.connectionsOpened), "\(client.connectionsOpened) connections for 20 requests")
    }

    @Test("an answer body over 1 MiB stops the transfer with an error; one under it is read whole")
    func longAnswer() async throws {
        let server = try await FakeServer.start { request in
            FakeResponse(status: 201, body: Data(repeating: UInt8(ascii: "x"), count: request.path == "/huge" ? 3 << 20 : 900_000))
        }
        defer { server.stop() }
        let client = CurlHTTPClient(threads: 1)
        // Read whole before, whatever its size: a destination could grow the process without bound.
        let refusal = try await #require(throws: HTTPClientError.self) {
            try await client.execute(HTTPClientRequest(method: "GET", url: server.baseURL + "/huge"))
        }
        #expect(refusal.message == "answer body over 1 MiB")
        let fits = try await client.execute(HTTPClientRequest(method: "GET", url: server.baseURL + "/fits"))
        #expect(fits.status == 201)
        #expect(fits.body.count == 900_000)
    }

    @Test("no answer is an error: refused connection")
    func refused() async throws {
        let client = CurlHTTPClient(threads: 1)
        // Port 1 on loopback: nothing listens there.
        await #expect(throws: HTTPClientError.self) {
            try await client.execute(HTTPClientRequest(method: "GET", url: "http://127.0.0.1:1/", timeout: .seconds(2)))
        }
    }

    @Test("a transfer that takes longer than its timeout fails", .timeLimit(.minutes(1)))
    func timeout() async throws {
        // The server would answer only after 40 s: an error before then is the timeout's doing.
        let server = try await FakeServer.start { _ in FakeResponse(status: 200, delay: .seconds(40)) }
        defer { server.stop() }
        let client = CurlHTTPClient(threads: 1)
        await #expect {
            try await client.execute(HTTPClientRequest(method: "GET", url: server.baseURL + "/", timeout: .milliseconds(300)))
        } throws: { error in
            (error as? HTTPClientError)?.message.lowercased().contains("timeout") == true
        }
    }

    @Test("cancelling the waiting task abandons the transfer", .timeLimit(.minutes(1)))
    func cancellation() async throws {
        // The server would answer only after 40 s; the transfer's own timeout is longer still.
        let server = try await FakeServer.start { _ in FakeResponse(status: 200, delay: .seconds(40)) }
        defer { server.stop() }
        let client = CurlHTTPClient(threads: 1)
        let task = Task {
            try await client.execute(HTTPClientRequest(method: "GET", url: server.baseURL + "/", timeout: .seconds(60)))
        }
        try await server.waitForRequests(1)
        task.cancel()
        let result = await task.result
        guard case .failure(let error as HTTPClientError) = result else {
            Issue.record("expected a cancellation error, got \(result)")
            return
        }
        #expect(error.cancelled)
    }

    @Test("many concurrent requests all complete on a small pool")
    func concurrency() async throws {
        let server = try await FakeServer.start { request in FakeResponse(status: 200, body: request.body) }
        defer { server.stop() }
        let client = CurlHTTPClient(threads: 4)
        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<64 {
                group.addTask {
                    let response = try await client.execute(
                        HTTPClientRequest(method: "POST", url: server.baseURL + "/", body: Data("\(index)".utf8))
                    )
                    return String(decoding: response.body, as: UTF8.self)
                }
            }
            var all: [String] = []
            for try await body in group { all.append(body) }
            return all
        }
        #expect(Set(bodies) == Set((0..<64).map(String.init)))
    }
}
