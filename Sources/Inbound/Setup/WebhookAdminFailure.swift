import Delivery
import Foundation
import JSON

/// Why setting up, reading or recovering the Novu webhook endpoint stopped: the step, Novu's or Svix's
/// status and a short reason, never a key, a token or a signing secret.
package struct WebhookAdminFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// What an operator can do about it.
    package enum Kind: Sendable, Equatable {
        /// Novu answered 402 or 403: the plan has no outbound webhooks.
        case planWithoutWebhooks
        /// Novu answered 401: `NOVU_API_KEY` is not a key of this Novu.
        case novuKeyRejected
        /// This Novu has no outbound webhooks at all: self-hosted without Svix, or older than the API.
        case webhooksNotAvailable
        /// Svix answered 401 to the portal token Novu gave.
        case svixTokenRejected
        /// Any other refusal, or an answer that could not be read.
        case failed
        /// No answer: connection refused, timeout, TLS.
        case noAnswer
        /// The endpoint asked for does not exist (status, recover), or several could be meant.
        case noEndpoint
    }

    package var kind: Kind
    /// `Novu GET /v2/outbound-webhooks/portal/token`, `Svix POST /api/v1/app/{app}/endpoint`, …
    package var step: String
    /// The HTTP status, when there was an answer.
    package var status: Int?
    /// A short reason: the answer's own message where it has one.
    package var reason: String
    /// The one-time webhook portal link, when Novu gave one before the failure.
    package var portalURL: String?

    package init(kind: Kind, step: String, status: Int? = nil, reason: String, portalURL: String? = nil) {
        self.kind = kind
        self.step = step
        self.status = status
        self.reason = reason
        self.portalURL = portalURL
    }

    package var description: String {
        "\(step): \(status.map { "HTTP \($0)" } ?? "no answer") — \(reason)"
    }
}

/// The short reason an HTTP answer gives for itself.
enum AnswerReason {
    /// The longest reason shown.
    static let limit = 200

    /// Novu's `message` (a string or a list), Svix's `detail` (a string or a list of `{msg}`), else the
    /// start of the body; control characters dropped, at most `limit` characters.
    static func short(_ response: HTTPClientResponse) -> String {
        let json = try? JSONValue.parse(response.body)
        var text: String?
        for key in ["message", "detail", "error"] {
            guard let value = json?[key] else { continue }
            if let string = value.stringValue {
                text = string
            } else if let list = value.arrayValue {
                text = list.compactMap { $0.stringValue ?? $0["msg"]?.stringValue }.joined(separator: "; ")
            }
            if let found = text, !found.isEmpty { break }
        }
        let raw = text ?? String(decoding: response.body.prefix(limit * 4), as: UTF8.self)
        let cleaned = String(String.UnicodeScalarView(raw.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
        let trimmed = cleaned.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return "no reason given" }
        return trimmed.count > limit ? String(trimmed.prefix(limit)) + "…" : trimmed
    }
}
