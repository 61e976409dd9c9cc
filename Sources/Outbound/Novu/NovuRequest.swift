import Delivery
import Foundation
import JSON

/// Builds the HTTP requests of Novu calls (pure: no I/O).
package enum NovuRequest {
    /// The request for one call.
    package static func make(
        _ call: NovuCall,
        idempotencyKey: String,
        configuration: NovuDestination.Configuration
    ) -> HTTPClientRequest {
        let stored = NovuCall.Stored(
            operation: call.operation,
            method: call.method,
            path: call.path,
            transactionId: call.transactionId,
            body: call.body?.encoded() ?? Data()
        )
        return make(stored, idempotencyKey: idempotencyKey, configuration: configuration)
    }

    /// The request for one queued call.
    package static func make(
        _ call: NovuCall.Stored,
        idempotencyKey: String,
        configuration: NovuDestination.Configuration
    ) -> HTTPClientRequest {
        var headers = baseHeaders(configuration)
        headers.append(("Idempotency-Key", idempotencyKey))
        return HTTPClientRequest(
            method: call.method,
            url: url(configuration.baseURL, call.path),
            headers: headers,
            body: call.body,
            timeout: configuration.timeout
        )
    }

    /// One `POST /v1/events/trigger/bulk` for several trigger calls; each event keeps its transactionId.
    /// The queued bodies are spliced in as they are.
    package static func makeBulk(_ calls: [NovuCall.Stored], configuration: NovuDestination.Configuration) -> HTTPClientRequest {
        var body = Data("{\"events\":[".utf8)
        for (index, call) in calls.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(call.body)
        }
        body.append(contentsOf: Array("]}".utf8))
        return HTTPClientRequest(
            method: "POST",
            url: url(configuration.baseURL, "/v1/events/trigger/bulk"),
            headers: baseHeaders(configuration),
            body: body,
            timeout: configuration.timeout
        )
    }

    /// The request as text with the API key replaced: for logs and the dead-letter queue.
    package static func redacted(_ request: HTTPClientRequest) -> String {
        redacted(request, body: request.body)
    }

    /// One event's failed attempt in a bulk request of `count`, as kept with that event: the request line
    /// and headers as sent (the key redacted) and only this event's part of the body. Each event keeps its
    /// own attempt rows; with the whole request in each, one failed bulk attempt wrote 100 copies of it.
    package static func redacted(_ request: HTTPClientRequest, part: Data, of count: Int) -> String {
        guard count > 1 else { return redacted(request) }
        return redacted(request, body: Data("(this event's part of a bulk request of \(count) events)\n".utf8) + part)
    }

    private static func redacted(_ request: HTTPClientRequest, body: Data) -> String {
        var lines = ["\(request.method) \(request.url)"]
        for header in request.headers {
            let value = header.name.lowercased() == "authorization" ? "ApiKey [redacted]" : header.value
            lines.append("\(header.name): \(value)")
        }
        if !body.isEmpty {
            lines.append("")
            lines.append(String(decoding: body, as: UTF8.self))
        }
        return lines.joined(separator: "\n")
    }

    private static func baseHeaders(_ configuration: NovuDestination.Configuration) -> [(name: String, value: String)] {
        [
            ("Authorization", "ApiKey \(configuration.apiKey ?? "")"),
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
            ("User-Agent", configuration.userAgent),
        ]
    }

    private static func url(_ base: String, _ path: String) -> String {
        (base.hasSuffix("/") ? String(base.dropLast()) : base) + path
    }
}
