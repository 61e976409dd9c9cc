import CCurl
import Foundation
import Synchronization

/// One libcurl easy handle. Reusing it keeps its connection cache, so consecutive requests to the
/// same host share a kept-alive connection.
///
/// Not thread-safe: a handle belongs to exactly one worker thread of `CurlHTTPClient` for its
/// whole life; it is never shared or sent between tasks.
final class CurlEasy {
    private let handle: UnsafeMutableRawPointer
    private let sink = ResponseSink()

    init() {
        guard let handle = curl_easy_init() else {
            // curl_easy_init fails only when it cannot allocate; nothing can go on without a handle.
            preconditionFailure("curl_easy_init failed")
        }
        self.handle = handle
    }

    deinit {
        curl_easy_cleanup(handle)
    }

    /// Performs `request` on the calling thread, blocking it until the transfer ends. Returns the
    /// answer and how many new connections the transfer had to open (0 when one was reused).
    func perform(
        _ request: HTTPClientRequest,
        cancel: CancelFlag
    ) -> (Result<HTTPClientResponse, HTTPClientError>, newConnections: Int) {
        curl_easy_reset(handle)
        sink.reset(cancel: cancel)
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer {
            curl_slist_free_all(headerList)
            // The answer belongs to the caller now; the handle keeps no copy until its next transfer.
            sink.reset(cancel: nil)
        }

        if let failure = setUp(request, headerList: &headerList) { return (.failure(failure), 0) }

        let code = curl_easy_perform(handle)
        var connects = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &connects)
        guard code == CURLE_OK else {
            if sink.tooLong { return (.failure(HTTPClientError("answer body over 1 MiB")), connects) }
            let message = String(cString: curl_easy_strerror(code))
            let cancelled = code == CURLE_ABORTED_BY_CALLBACK
            return (.failure(HTTPClientError(cancelled ? "cancelled" : message, cancelled: cancelled)), connects)
        }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        let response = HTTPClientResponse(status: status, headers: sink.headers, body: sink.body)
        return (.success(response), connects)
    }

    /// The largest answer body read (Novu's bulk answer for 100 events is ~10 KB).
    static let longestAnswer = 1 << 20

    /// The only protocols a transfer may use, redirects aside (none are followed).
    static let protocols = "http,https"

    /// Sets the options every transfer starts with, whatever its request: certificate checks, the
    /// protocol restriction, no signals, no redirects. Returns the first option libcurl refused.
    func setFixedOptions(protocols: String = CurlEasy.protocols) -> HTTPClientError? {
        var options = OptionResults()
        options.check("CURLOPT_NOSIGNAL", ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        options.check("CURLOPT_SSL_VERIFYPEER", ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1))
        options.check("CURLOPT_SSL_VERIFYHOST", ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2))
        options.check("CURLOPT_TCP_NODELAY", ccurl_setopt_long(handle, CURLOPT_TCP_NODELAY, 1))
        options.check("CURLOPT_TCP_KEEPALIVE", ccurl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1))
        options.check("CURLOPT_FOLLOWLOCATION", ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
        options.check("CURLOPT_PROTOCOLS_STR", ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, protocols))
        return options.failure
    }

    /// Sets every option of `request`'s transfer. Returns the first option libcurl refused: a transfer
    /// set up in part (without its protocol restriction, its URL or its body) must not run.
    private func setUp(_ request: HTTPClientRequest, headerList: inout UnsafeMutablePointer<curl_slist>?) -> HTTPClientError? {
        if let failure = setFixedOptions() { return failure }
        var options = OptionResults()
        let timeout = request.timeout.milliseconds
        options.check("CURLOPT_TIMEOUT_MS", ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, max(1, timeout)))
        options.check("CURLOPT_CONNECTTIMEOUT_MS", ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, max(1, min(timeout, 10_000))))
        options.check("CURLOPT_URL", ccurl_setopt_string(handle, CURLOPT_URL, request.url))

        switch request.method {
        case "GET":
            options.check("CURLOPT_HTTPGET", ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1))
        default:
            options.check("CURLOPT_CUSTOMREQUEST", ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method))
            if !request.body.isEmpty || request.method == "POST" {
                options.check(
                    "CURLOPT_POSTFIELDSIZE_LARGE",
                    ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
                )
                request.body.withUnsafeBytes { raw in
                    options.check(
                        "CURLOPT_COPYPOSTFIELDS",
                        ccurl_setopt_pointer(
                            handle,
                            CURLOPT_COPYPOSTFIELDS,
                            UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)
                        )
                    )
                }
            }
        }

        // "Expect:" switches off curl's 100-continue wait for larger bodies.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            guard let longer = curl_slist_append(headerList, line) else {
                return HTTPClientError("libcurl could not add a header line (out of memory)")
            }
            headerList = longer
        }
        options.check("CURLOPT_HTTPHEADER", ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))

        let context = Unmanaged.passUnretained(sink).toOpaque()
        let write = ccurl_setopt_callback(handle, CURLOPT_WRITEFUNCTION) { buffer, size, count, userdata in
            let sink = Unmanaged<ResponseSink>.fromOpaque(userdata!).takeUnretainedValue()
            let length = size * count
            // A destination's answer is read whole into memory: past the limit the transfer stops (curl
            // takes a short count as an error) rather than growing the process by whatever is sent.
            guard sink.body.count + length <= CurlEasy.longestAnswer else {
                sink.tooLong = true
                return 0
            }
            if let buffer { sink.body.append(UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: length) }
            return length
        }
        options.check("CURLOPT_WRITEFUNCTION", write)
        options.check("CURLOPT_WRITEDATA", ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        let header = ccurl_setopt_callback(handle, CURLOPT_HEADERFUNCTION) { buffer, size, count, userdata in
            let sink = Unmanaged<ResponseSink>.fromOpaque(userdata!).takeUnretainedValue()
            let length = size * count
            if let buffer { sink.headerLine(UnsafeRawBufferPointer(start: buffer, count: length)) }
            return length
        }
        options.check("CURLOPT_HEADERFUNCTION", header)
        options.check("CURLOPT_HEADERDATA", ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        options.check("CURLOPT_NOPROGRESS", ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0))
        let progress = ccurl_setopt_progress(handle) { userdata, _, _, _, _ in
            let sink = Unmanaged<ResponseSink>.fromOpaque(userdata!).takeUnretainedValue()
            return sink.cancel?.isCancelled == true ? 1 : 0
        }
        options.check("CURLOPT_XFERINFOFUNCTION", progress)
        options.check("CURLOPT_XFERINFODATA", ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context))
        return options.failure
    }

    /// The error for a `curl_easy_setopt` of `option` that returned `code` (a `CURLcode`), or `nil` for
    /// `CURLE_OK`. Taken as a number so that tests need not see curl's types.
    static func optionError(_ option: String, code: UInt32) -> HTTPClientError? {
        guard code != CURLE_OK.rawValue else { return nil }
        let reason = String(cString: curl_easy_strerror(CURLcode(rawValue: code)))
        return HTTPClientError("libcurl refused \(option): \(reason) (CURLcode \(code))")
    }
}

/// The first option libcurl refused while a transfer was set up.
private struct OptionResults {
    var failure: HTTPClientError?

    mutating func check(_ option: String, _ code: CURLcode) {
        if failure == nil { failure = CurlEasy.optionError(option, code: code.rawValue) }
    }
}

/// Collects one transfer's answer; curl's C callbacks reach it through an opaque pointer.
private final class ResponseSink {
    var body = Data()
    var headers: [String: String] = [:]
    var cancel: CancelFlag?
    /// The answer's body went past `CurlEasy.longestAnswer`.
    var tooLong = false

    func reset(cancel: CancelFlag?) {
        body = Data()
        headers = [:]
        tooLong = false
        self.cancel = cancel
    }

    /// One raw header line as curl hands it over (`Name: value\r\n`), read byte by byte: this runs for
    /// every header of every answer.
    func headerLine(_ line: UnsafeRawBufferPointer) {
        if line.starts(with: "HTTP/".utf8) {
            // A new status line (after 100 Continue, say): the headers before it were not the answer's.
            headers = [:]
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        var nameEnd = colon
        while nameEnd > 0, isSpace(line[nameEnd - 1]) { nameEnd -= 1 }
        var valueStart = colon + 1
        var valueEnd = line.count
        while valueStart < valueEnd, isSpace(line[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart, isSpace(line[valueEnd - 1]) { valueEnd -= 1 }
        let name = String(decoding: line[..<nameEnd].map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }, as: UTF8.self)
        headers[name] = String(decoding: line[valueStart..<valueEnd], as: UTF8.self)
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int {
        Int(components.seconds) * 1000 + Int(components.attoseconds / 1_000_000_000_000_000)
    }
}
