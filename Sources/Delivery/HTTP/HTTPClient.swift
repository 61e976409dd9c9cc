import Foundation

/// An HTTP request the bridge sends to a destination. Plain values: no C types leak out of `Delivery`.
package struct HTTPClientRequest: Sendable, Equatable {
    /// `GET`, `POST`, `DELETE`, …
    package var method: String
    /// Absolute URL, scheme included.
    package var url: String
    /// Header fields in the order they are sent.
    package var headers: [(name: String, value: String)]
    /// The body; empty for none.
    package var body: Data
    /// The whole transfer, connection included, must finish within this.
    package var timeout: Duration

    package init(
        method: String,
        url: String,
        headers: [(name: String, value: String)] = [],
        body: Data = Data(),
        timeout: Duration = .seconds(30)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body && lhs.timeout == rhs.timeout
            && lhs.headers.map { "\($0.name):\($0.value)" } == rhs.headers.map { "\($0.name):\($0.value)" }
    }

    /// The value of the first header called `name` (case-insensitive).
    package func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// A destination's answer.
package struct HTTPClientResponse: Sendable {
    /// The HTTP status code.
    package var status: Int
    /// Response headers, names lowercased.
    package var headers: [String: String]
    /// The body.
    package var body: Data

    package init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Why a request got no answer. Every case is retryable: the destination may or may not have seen it.
package struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in curl's words where curl said it.
    package var message: String
    /// `true` when the transfer was abandoned because its task was cancelled (shutdown).
    package var cancelled: Bool

    package init(_ message: String, cancelled: Bool = false) {
        self.message = message
        self.cancelled = cancelled
    }

    package var description: String { message }
}

/// Sends HTTP requests. The relay and the destinations see only this, so tests can use the real
/// libcurl client against loopback servers, and a future client can replace it.
package protocol HTTPClient: Sendable {
    /// Sends `request` and returns the answer, or throws `HTTPClientError` when there was none.
    func execute(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse
}
