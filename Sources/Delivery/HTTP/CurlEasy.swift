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

        setLong(CURLOPT_NOSIGNAL, 1)
        setLong(CURLOPT_SSL_VERIFYPEER, 1)
        setLong(CURLOPT_SSL_VERIFYHOST, 2)
        setLong(CURLOPT_TCP_NODELAY, 1)
        setLong(CURLOPT_TCP_KEEPALIVE, 1)
        setLong(CURLOPT_FOLLOWLOCATION, 0)
        _ = ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        let timeout = request.timeout.milliseconds
        setLong(CURLOPT_TIMEOUT_MS, max(1, timeout))
        setLong(CURLOPT_CONNECTTIMEOUT_MS, max(1, min(timeout, 10_000)))
        _ = ccurl_setopt_string(handle, CURLOPT_URL, request.url)

        switch request.method {
        case "GET":
            setLong(CURLOPT_HTTPGET, 1)
        default:
            _ = ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
            if !request.body.isEmpty || request.method == "POST" {
                _ = ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
                request.body.withUnsafeBytes { raw in
                    _ = ccurl_setopt_pointer(
                        handle,
                        CURLOPT_COPYPOSTFIELDS,
                        UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)
                    )
                }
            }
        }

        // "Expect:" switches off curl's 100-continue wait for larger bodies.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            headerList = curl_slist_append(headerList, line)
        }
        _ = ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)

        let context = Unmanaged.passUnretained(sink).toOpaque()
        _ = ccurl_setopt_callback(handle, CURLOPT_WRITEFUNCTION) { buffer, size, count, userdata in
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
        _ = ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        _ = ccurl_setopt_callback(handle, CURLOPT_HEADERFUNCTION) { buffer, size, count, userdata in
            let sink = Unmanaged<ResponseSink>.fromOpaque(userdata!).takeUnretainedValue()
            let length = size * count
            if let buffer { sink.headerLine(UnsafeRawBufferPointer(start: buffer, count: length)) }
            return length
        }
        _ = ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
        setLong(CURLOPT_NOPROGRESS, 0)
        _ = ccurl_setopt_progress(handle) { userdata, _, _, _, _ in
            let sink = Unmanaged<ResponseSink>.fromOpaque(userdata!).takeUnretainedValue()
            return sink.cancel?.isCancelled == true ? 1 : 0
        }
        _ = ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context)

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

    private func setLong(_ option: CURLoption, _ value: Int) {
        _ = ccurl_setopt_long(handle, option, value)
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
