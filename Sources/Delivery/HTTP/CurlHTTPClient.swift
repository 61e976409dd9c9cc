import CCurl
import Foundation
import Synchronization

/// The bridge's HTTP client: libcurl easy handles on a pool of dedicated threads.
///
/// curl's easy interface blocks, so transfers run on threads of the client's own, never on the
/// Swift cooperative pool or a NIO event loop. Each thread owns one easy handle for its whole life,
/// which keeps connections alive between requests to the same destination.
package final class CurlHTTPClient: HTTPClient {
    private let work: WorkQueue
    private let connections = Atomic<Int>(0)

    /// Starts `threads` worker threads; that many transfers can run at once. Call `check()` once at
    /// start: a libcurl that refuses an option fails every request made here, each with that reason.
    package init(threads: Int = 8) {
        _ = Self.globalInit
        let count = max(1, threads)
        let work = WorkQueue(threads: count)
        self.work = work
        for index in 0..<count {
            let thread = Thread { Self.workerLoop(work) }
            thread.name = "curl-\(index)"
            thread.start()
        }
    }

    deinit {
        work.stop()
    }

    /// New TCP connections opened so far; stays low when keep-alive works.
    package var connectionsOpened: Int { connections.load(ordering: .relaxed) }

    package func execute(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        let cancel = CancelFlag()
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                work.submit(Job(request: request, cancel: cancel, continuation: continuation))
            }
        } onCancel: {
            cancel.cancel()
        }
        connections.add(outcome.newConnections, ordering: .relaxed)
        return try outcome.result.get()
    }

    /// Whether this process's libcurl can make the bridge's transfers: it initialised, and takes the
    /// options every transfer sets, the restriction to http and https (`CURLOPT_PROTOCOLS_STR`, libcurl
    /// 7.85 or later) above all. Throws the first refusal, naming the option; a startup error, since
    /// every request would fail the same way.
    package static func check() throws(HTTPClientError) {
        try check(protocols: CurlEasy.protocols)
    }

    /// `check()` with another protocol list, so a test can make libcurl refuse one.
    static func check(protocols: String) throws(HTTPClientError) {
        if let failure = CurlEasy.optionError("curl_global_init", code: globalInit) { throw failure }
        if let failure = CurlEasy().setFixedOptions(protocols: protocols) { throw failure }
    }

    /// `curl_global_init`'s result (a `CURLcode`), run once per process.
    private static let globalInit: UInt32 = {
        let code = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        ccurl_ignore_sigpipe()
        return code.rawValue
    }()

    private static func workerLoop(_ work: WorkQueue) {
        let easy = CurlEasy()
        while let job = work.next() {
            if job.cancel.isCancelled {
                job.continuation.resume(
                    returning: Outcome(result: .failure(HTTPClientError("cancelled", cancelled: true)), newConnections: 0)
                )
                continue
            }
            let (result, connects) = easy.perform(job.request, cancel: job.cancel)
            job.continuation.resume(returning: Outcome(result: result, newConnections: connects))
        }
    }

    struct Outcome: Sendable {
        var result: Result<HTTPClientResponse, HTTPClientError>
        var newConnections: Int
    }

    struct Job: Sendable {
        var request: HTTPClientRequest
        var cancel: CancelFlag
        var continuation: CheckedContinuation<Outcome, Never>
    }

    /// A blocking FIFO between async callers and the worker threads.
    final class WorkQueue: Sendable {
        private struct State {
            var jobs: [Job] = []
            var head = 0
            var stopped = false
        }
        private let state = Mutex(State())
        private let ready = DispatchSemaphore(value: 0)
        private let threads: Int

        init(threads: Int) {
            self.threads = threads
        }

        func submit(_ job: Job) {
            let accepted = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.jobs.append(job)
                return true
            }
            if accepted {
                ready.signal()
            } else {
                job.continuation.resume(
                    returning: Outcome(result: .failure(HTTPClientError("client shut down")), newConnections: 0)
                )
            }
        }

        /// Blocks the worker thread until a job arrives; `nil` once the queue is stopped.
        func next() -> Job? {
            while true {
                ready.wait()
                let job = state.withLock { state -> Job?? in
                    if state.stopped { return .some(nil) }
                    guard state.head < state.jobs.count else { return nil }
                    let job = state.jobs[state.head]
                    state.head += 1
                    if state.head > 1024, state.head * 2 > state.jobs.count {
                        state.jobs.removeFirst(state.head)
                        state.head = 0
                    }
                    return .some(job)
                }
                if let job { return job }
            }
        }

        func stop() {
            let pending = state.withLock { state -> [Job] in
                state.stopped = true
                let pending = Array(state.jobs[state.head...])
                state.jobs = []
                state.head = 0
                return pending
            }
            for job in pending {
                job.continuation.resume(
                    returning: Outcome(result: .failure(HTTPClientError("client shut down")), newConnections: 0)
                )
            }
            // Wake every worker so each sees `stopped` and ends.
            for _ in 0..<threads { ready.signal() }
        }
    }
}
