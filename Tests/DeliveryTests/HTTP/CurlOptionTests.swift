import Foundation
import TestSupport
import Testing

@testable import Delivery

/// Every `curl_easy_setopt` is checked: a refused option is an error, never a transfer set up in part.
@Suite("libcurl options")
struct CurlOptionTests {
    /// `CURLcode` values as numbers (curl.h), with the words `curl_easy_strerror` gives them.
    static let codes: [(code: UInt32, says: String?)] = [
        (0, nil),  // CURLE_OK
        (1, "Unsupported protocol"),  // CURLE_UNSUPPORTED_PROTOCOL
        (4, "built-in"),  // CURLE_NOT_BUILT_IN: "A requested feature, protocol or option was not found built-in …"
        (27, "Out of memory"),  // CURLE_OUT_OF_MEMORY
        (43, "bad argument"),  // CURLE_BAD_FUNCTION_ARGUMENT
        (48, "unknown option"),  // CURLE_UNKNOWN_OPTION
    ]

    @Test("a setopt result maps to no error for CURLE_OK, else to one naming the option and curl's reason", arguments: codes)
    func optionError(code: UInt32, says: String?) {
        let error = CurlEasy.optionError("CURLOPT_PROTOCOLS_STR", code: code)
        guard let says else {
            #expect(error == nil)
            return
        }
        let message = error?.message ?? ""
        #expect(message.hasPrefix("libcurl refused CURLOPT_PROTOCOLS_STR: "), "\(message)")
        #expect(message.contains(says) && message.hasSuffix("(CURLcode \(code))"), "\(message)")
        #expect(error?.cancelled == false)
    }

    @Test("the start check passes with this libcurl")
    func checkPasses() throws {
        try CurlHTTPClient.check()
    }

    @Test("a protocol restriction libcurl refuses fails the start check, naming the option")
    func protocolRestrictionRefused() {
        #expect {
            try CurlHTTPClient.check(protocols: "http,https,no-such-protocol")
        } throws: { error in
            "\(error)".hasPrefix("libcurl refused CURLOPT_PROTOCOLS_STR: Unsupported protocol")
        }
    }

    @Test("an option refused while a request is set up fails that request before anything is sent")
    func refusedRequestOption() async throws {
        let server = try await FakeServer.start { _ in FakeResponse(status: 200) }
        defer { server.stop() }
        let client = CurlHTTPClient(threads: 1)
        // libcurl refuses a string option longer than 8,000,000 bytes (CURL_MAX_INPUT_LENGTH).
        let url = server.baseURL + "/" + String(repeating: "a", count: 8_000_001)
        await #expect {
            _ = try await client.execute(HTTPClientRequest(method: "GET", url: url))
        } throws: { error in
            "\(error)".hasPrefix("libcurl refused CURLOPT_URL: ")
        }
        let method = String(repeating: "P", count: 8_000_001)
        await #expect {
            _ = try await client.execute(HTTPClientRequest(method: method, url: server.baseURL + "/"))
        } throws: { error in
            "\(error)".hasPrefix("libcurl refused CURLOPT_CUSTOMREQUEST: ")
        }
        // The handle is set up afresh for the next request.
        #expect(try await client.execute(HTTPClientRequest(method: "GET", url: server.baseURL + "/fine")).status == 200)
        #expect(server.requests.map(\.path) == ["/fine"])
    }
}
