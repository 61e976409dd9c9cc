import Delivery
import Foundation
import JSON

/// Judges Novu's answers (DESIGN §3): the HTTP class first, then the body where Novu reports a
/// trigger's fate inside a 2xx.
package enum NovuAnswer {
    /// The verdict on a single call's answer.
    package static func judge(
        _ operation: NovuCall.Operation,
        status: Int?,
        body: Data
    ) -> (verdict: AttemptResult.Verdict, reason: String) {
        if operation == .subscriberDelete, status == 404 { return judgeDeleteNotFound(body) }
        let verdict = RetryPolicy.classify(status: status)
        guard verdict.isDelivered else { return (verdict, status.map { "HTTP \($0)" } ?? "no answer") }
        if operation == .topicSubscribe { return judgeSubscriptions(body) }
        guard operation == .trigger else { return (.delivered(), "delivered") }
        let data = (try? JSONValue.parse(body))?["data"]
        return judgeTrigger(data)
    }

    /// A 404 to `DELETE /v2/subscribers/{id}` means the subscriber is already gone only when Novu says
    /// so: its error body (`ErrorDto`) with `statusCode` 404 and a message that a subscriber was not
    /// found ("Subscriber: u1 was not found", "Subscriber not found for id u1"). Any other 404 — an HTML
    /// page from a proxy, `Cannot DELETE /v2/...` from a wrong base URL — deleted nothing, so it is a
    /// dead letter with the body as reason, not a deletion counted as done.
    static func judgeDeleteNotFound(_ body: Data) -> (verdict: AttemptResult.Verdict, reason: String) {
        let answer = try? JSONValue.parse(body)
        let statusCode: Int64? =
            switch answer?["statusCode"] {
            case .int(let code): code
            case .double(let code): Int64(exactly: code)
            case .string(let code): Int64(code)
            default: nil
            }
        let message = answer?["message"]?.stringValue?.lowercased() ?? ""
        let saysNotFound = message.contains("not found") || message.contains("could not be found")
        if statusCode == 404, message.contains("subscriber"), saysNotFound, !message.hasPrefix("cannot ") {
            return (.delivered(), "already deleted")
        }
        return (.refused, "HTTP 404 not from Novu's subscriber lookup: \(excerpt(body))")
    }

    /// The start of `body` on one line, for a reason: whitespace runs become one space, at most 200
    /// characters.
    static func excerpt(_ body: Data) -> String {
        let text = String(decoding: body.prefix(4096), as: UTF8.self)
        let words = text.split(whereSeparator: { $0.isWhitespace || $0.unicodeScalars.allSatisfy { $0.value < 0x20 || $0.value == 0x7F } })
        let line = words.joined(separator: " ")
        guard !line.isEmpty else { return "(empty body)" }
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }

    /// A topic subscription answers 2xx even when it subscribed nobody: the failures are listed in
    /// `errors` and counted in `meta.failed` (`CreateSubscriptionsResponseDto`). The usual one,
    /// `SUBSCRIBER_NOT_FOUND`, means the group arrived before the user's identify. It is a dead letter,
    /// not a retry: the identify waits in the same user's queue, behind the group, so retrying would
    /// hold all of the user's events for the whole give-up age. Replayed once the identify has landed
    /// (with a fresh idempotency key), it goes through. The v1 route (`NovuFallback`) answers
    /// `{"succeeded":[…],"failed":{"notFound":[…]}}` instead, judged the same way.
    static func judgeSubscriptions(_ body: Data) -> (verdict: AttemptResult.Verdict, reason: String) {
        let answer = try? JSONValue.parse(body)
        // Novu wraps the response in `data`; read it unwrapped too.
        let result = answer?["data"]?.objectValue != nil ? answer?["data"] : answer
        if let notFound = result?["failed"]?["notFound"]?.arrayValue, !notFound.isEmpty {
            let ids = notFound.compactMap(\.scalarText).joined(separator: ", ")
            return (.refused, "topic subscription failed: SUBSCRIBER_NOT_FOUND: \(ids)")
        }
        let errors = result?["errors"]?.arrayValue ?? []
        let failed: Int64 =
            switch result?["meta"]?["failed"] {
            case .int(let count): count
            case .double(let count): Int64(exactly: count.rounded()) ?? 1
            default: 0
            }
        guard !errors.isEmpty || failed > 0 else { return (.delivered(), "delivered") }
        let code = errors.first?["code"]?.stringValue ?? "meta.failed \(failed)"
        let message = errors.first?["message"]?.stringValue.map { ": \($0)" } ?? ""
        return (.refused, "topic subscription failed: \(code)\(message)")
    }

    /// The verdict on one trigger result object (`{"acknowledged":true,"status":"processed"}`).
    /// Any status but `processed` is permanent: Novu will not do better with the same request.
    package static func judgeTrigger(_ result: JSONValue?) -> (verdict: AttemptResult.Verdict, reason: String) {
        guard let status = result?["status"]?.stringValue else { return (.delivered(), "delivered") }
        return status == "processed" ? (.delivered(), "delivered") : (.refused, status)
    }

    /// The verdicts on a bulk answer: one per event, in input order. A 2xx whose body does not hold one
    /// result per event is judged a retry, since the transaction ids make a resend safe.
    package static func judgeBulk(status: Int?, body: Data, count: Int) -> [(verdict: AttemptResult.Verdict, reason: String)] {
        let verdict = RetryPolicy.classify(status: status)
        guard verdict.isDelivered else {
            return Array(repeating: (verdict, status.map { "HTTP \($0)" } ?? "no answer"), count: count)
        }
        // Novu's API wraps the array in `data`; a bare array (as DESIGN §3 words it) is read the same.
        let answer = try? JSONValue.parse(body)
        let results = answer?["data"]?.arrayValue ?? answer?.arrayValue
        guard let results, results.count == count else {
            return Array(repeating: (.retry, "bulk answer did not list every event"), count: count)
        }
        return results.map(judgeTrigger)
    }
}
