import Delivery
import Foundation
import HTTPTypes
import Hummingbird
import JSON
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A request a fake server received.
package struct RecordedRequest: Sendable {
    package var method: String
    /// Path with query, as sent.
    package var path: String
    /// Header names lowercased.
    package var headers: [String: String]
    package var body: Data
    /// When it arrived.
    package var at: ContinuousClock.Instant

    /// The body parsed as JSON (`null` when it is not JSON).
    package var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
}

/// What a fake server answers.
package struct FakeResponse: Sendable {
    package var status: Int
    package var headers: [String: String]
    package var body: Data
    /// Wait this long before answering (to keep a request in flight).
    package var delay: Duration?

    package init(status: Int, headers: [String: String] = [:], body: Data = Data(), delay: Duration? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
    }

    package init(status: Int, json: JSONValue, headers: [String: String] = [:]) {
        var all = headers
        all["content-type"] = "application/json"
        self.init(status: status, headers: all, body: json.encoded())
    }

    /// A page, as a browser reads it: `text/html` in UTF-8.
    package init(status: Int, html: String, headers: [String: String] = [:]) {
        var all = headers
        all["content-type"] = "text/html; charset=utf-8"
        self.init(status: status, headers: all, body: Data(html.utf8))
    }
}

/// A real HTTP server on loopback (Hummingbird on port 0) standing in for Novu or Segment: it records
/// every request and answers through a replaceable responder, so a test can make it fail on cue.
package final class FakeServer: Sendable {
    package typealias Responder = @Sendable (RecordedRequest) -> FakeResponse

    private let recorder: Recorder
    private let server: RunningServer
    package var port: Int { server.port }

    package var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(recorder: Recorder, server: RunningServer) {
        self.recorder = recorder
        self.server = server
    }

    /// Starts a server answering with `responder`.
    package static func start(responder: @escaping Responder) async throws -> FakeServer {
        let recorder = Recorder(responder: responder)
        return FakeServer(recorder: recorder, server: try await RunningServer.start(responder: Handler(recorder: recorder)))
    }

    /// Replaces how the server answers from now on.
    package func respond(with responder: @escaping Responder) {
        recorder.setResponder(responder)
    }

    /// Every request so far, in arrival order.
    package var requests: [RecordedRequest] { recorder.requests }

    /// Waits until at least `count` requests have arrived (or fails after `timeout`).
    @discardableResult
    package func waitForRequests(_ count: Int, timeout: Duration = .seconds(15)) async throws -> [RecordedRequest] {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.recorder.wait(for: count) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TestFailure("timed out waiting for \(count) requests; got \(self.recorder.requests.count)")
            }
            try await group.next()
            group.cancelAll()
        }
        return recorder.requests
    }

    /// Stops taking connections (see `RunningServer.stop`) and ends the delays of requests in flight:
    /// the graceful stop waits for their answers, which would keep the server alive past its test.
    package func stop() {
        recorder.stop()
        server.stop()
    }
}

/// Shared between the server's handler and the test.
private final class Recorder: Sendable {
    private struct State {
        var requests: [RecordedRequest] = []
        var responder: FakeServer.Responder
        var waiters: [UUID: (count: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
        /// The delays of requests in flight, ended by `stop()`.
        var delays: [UUID: Task<Void, any Error>] = [:]
        var stopped = false
    }

    private let state: Mutex<State>

    init(responder: @escaping FakeServer.Responder) {
        state = Mutex(State(responder: responder))
    }

    var requests: [RecordedRequest] { state.withLock { $0.requests } }

    func setResponder(_ responder: @escaping FakeServer.Responder) {
        state.withLock { $0.responder = responder }
    }

    func record(_ request: RecordedRequest) -> FakeResponse {
        let (response, ready) = state.withLock { state in
            state.requests.append(request)
            let response = state.responder(request)
            let count = state.requests.count
            let ready = state.waiters.filter { $0.value.count <= count }
            for key in ready.keys { state.waiters[key] = nil }
            return (response, ready.values.map(\.continuation))
        }
        for continuation in ready { continuation.resume() }
        return response
    }

    /// Waits `delay` before an answer. Throws `CancellationError` if the request's task is cancelled or
    /// the server stops first: the request then gets no answer that pretends the delay passed.
    func delay(_ delay: Duration) async throws {
        let id = UUID()
        let sleep = Task { try await Task.sleep(for: delay) }
        let stopped = state.withLock { state in
            if !state.stopped { state.delays[id] = sleep }
            return state.stopped
        }
        if stopped { sleep.cancel() }
        defer { state.withLock { _ = $0.delays.removeValue(forKey: id) } }
        try await withTaskCancellationHandler {
            try await sleep.value
        } onCancel: {
            sleep.cancel()
        }
    }

    func stop() {
        let delays = state.withLock { state in
            state.stopped = true
            defer { state.delays = [:] }
            return Array(state.delays.values)
        }
        for delay in delays { delay.cancel() }
    }

    func wait(for count: Int) async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = state.withLock { state -> Bool in
                    if state.requests.count >= count { return true }
                    state.waiters[id] = (count, continuation)
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume()
        }
    }
}

private struct Handler: HTTPResponder {
    typealias Context = BasicRequestContext
    let recorder: Recorder

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 64 * 1024 * 1024)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let recorded = RecordedRequest(
            method: request.method.rawValue,
            path: request.uri.description,
            headers: headers,
            body: Data(buffer.readableBytesView),
            at: .now
        )
        let answer = recorder.record(recorded)
        if let delay = answer.delay { try await recorder.delay(delay) }
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body))
        )
    }
}

/// A test precondition that did not hold.
package struct TestFailure: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
