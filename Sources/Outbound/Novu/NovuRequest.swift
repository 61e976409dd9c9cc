import Delivery
import Foundation

/// Builds the HTTP requests of Novu calls (pure: no I/O).
public enum NovuRequest {
    /// The request for one call.
    public static func make(
        _ call: NovuCall,
        idempotencyKey: String,
        configuration: NovuDestination.Configuration
    ) -> HTTPClientRequest {
        var headers = baseHeaders(configuration)
        headers.append(("Idempotency-Key", idempotencyKey))
        return HTTPClientRequest(
            method: call.method,
            url: url(configuration.baseURL, call.path),
            headers: headers,
            body: call.body?.encoded() ?? Data(),
            timeout: configuration.timeout
        )
    }

    /// One `POST /v1/events/trigger/bulk` for several trigger calls; each event keeps its transactionId.
    public static func makeBulk(_ calls: [NovuCall], configuration: NovuDestination.Configuration) -> HTTPClientRequest {
        let events = JSONValue.object(["events": .array(calls.compactMap(\.body))])
        return HTTPClientRequest(
            method: "POST",
            url: url(configuration.baseURL, "/v1/events/trigger/bulk"),
            headers: baseHeaders(configuration),
            body: events.encoded(),
            timeout: configuration.timeout
        )
    }

    /// The request as text with the API key replaced: for logs and the dead-letter queue.
    public static func redacted(_ request: HTTPClientRequest) -> String {
        var lines = ["\(request.method) \(request.url)"]
        for header in request.headers {
            let value = header.name.lowercased() == "authorization" ? "ApiKey [redacted]" : header.value
            lines.append("\(header.name): \(value)")
        }
        if !request.body.isEmpty {
            lines.append("")
            lines.append(String(decoding: request.body, as: UTF8.self))
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
