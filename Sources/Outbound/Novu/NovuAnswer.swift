import Delivery
import Foundation

/// Judges Novu's answers (DESIGN §3): the HTTP class first, then the body where Novu reports a
/// trigger's fate inside a 2xx.
public enum NovuAnswer {
    /// The verdict on a single call's answer.
    public static func judge(
        _ operation: NovuCall.Operation,
        status: Int?,
        body: Data
    ) -> (disposition: DeliveryDisposition, reason: String) {
        if operation == .subscriberDelete, status == 404 { return (.success, "already deleted") }
        let disposition = RetryPolicy.classify(status: status)
        guard disposition == .success else { return (disposition, status.map { "HTTP \($0)" } ?? "no answer") }
        if operation == .topicSubscribe { return judgeSubscriptions(body) }
        guard operation == .trigger else { return (.success, "delivered") }
        let data = (try? JSONValue.parse(body))?["data"]
        return judgeTrigger(data)
    }

    /// A topic subscription answers 2xx even when it subscribed nobody: the failures are listed in
    /// `errors` and counted in `meta.failed` (`CreateSubscriptionsResponseDto`). The usual one,
    /// `SUBSCRIBER_NOT_FOUND`, means the group arrived before the user's identify. It is a dead letter,
    /// not a retry: the identify waits in the same user's queue, behind the group, so retrying would
    /// hold all of the user's events for the whole give-up age. Replayed once the identify has landed
    /// (with a fresh idempotency key), it goes through.
    static func judgeSubscriptions(_ body: Data) -> (disposition: DeliveryDisposition, reason: String) {
        let answer = try? JSONValue.parse(body)
        // Novu wraps the response in `data`; read it unwrapped too.
        let result = answer?["data"]?.objectValue != nil ? answer?["data"] : answer
        let errors = result?["errors"]?.arrayValue ?? []
        let failed: Int64 =
            switch result?["meta"]?["failed"] {
            case .int(let count): count
            case .double(let count): Int64(exactly: count.rounded()) ?? 1
            default: 0
            }
        guard !errors.isEmpty || failed > 0 else { return (.success, "delivered") }
        let code = errors.first?["code"]?.stringValue ?? "meta.failed \(failed)"
        let message = errors.first?["message"]?.stringValue.map { ": \($0)" } ?? ""
        return (.permanent, "topic subscription failed: \(code)\(message)")
    }

    /// The verdict on one trigger result object (`{"acknowledged":true,"status":"processed"}`).
    /// Any status but `processed` is permanent: Novu will not do better with the same request.
    public static func judgeTrigger(_ result: JSONValue?) -> (disposition: DeliveryDisposition, reason: String) {
        guard let status = result?["status"]?.stringValue else { return (.success, "delivered") }
        return status == "processed" ? (.success, "delivered") : (.permanent, status)
    }

    /// The verdicts on a bulk answer: one per event, in input order. A 2xx whose body does not hold one
    /// result per event is judged a retry, since the transaction ids make a resend safe.
    public static func judgeBulk(status: Int?, body: Data, count: Int) -> [(disposition: DeliveryDisposition, reason: String)] {
        let disposition = RetryPolicy.classify(status: status)
        guard disposition == .success else {
            return Array(repeating: (disposition, status.map { "HTTP \($0)" } ?? "no answer"), count: count)
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
