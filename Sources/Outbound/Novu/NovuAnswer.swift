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
        guard operation == .trigger else { return (.success, "delivered") }
        let data = (try? JSONValue.parse(body))?["data"]
        return judgeTrigger(data)
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
