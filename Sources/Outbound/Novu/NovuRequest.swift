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
