import Crypto
import Foundation

/// The ids the bridge sends Novu for a Segment event (DESIGN §3, "Novu requests").
package enum TransactionID {
    /// `seg-` + the messageId when it is at most 60 characters of `[A-Za-z0-9._:-]`, else `seg-` + the
    /// first 40 hex characters of its SHA-256. Stable: every retry of the event carries the same value.
    package static func forSegmentMessage(_ messageId: String) -> String {
        let allowed = messageId.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
                UInt8(ascii: "-"):
                true
            default: false
            }
        }
        if allowed, !messageId.isEmpty, messageId.utf8.count <= 60 { return "seg-" + messageId }
        let digest = SHA256.hash(data: Data(messageId.utf8)).map { String(format: "%02x", $0) }.joined()
        return "seg-" + digest.prefix(40)
    }

    /// The `Idempotency-Key` for an attempt. The first attempt sends the transaction id. After an
    /// attempt that got an answer (a 5xx, a 4xx other than 409 and 429, or a 2xx judged a failure) the
    /// next sends `<txid>.r<attempt>`: Novu caches answers under a key for 24 h, so reusing it would
    /// replay the failure — which matters for 5xx retries and for dead letters replayed by an operator
    /// (a `201 trigger_not_active` replayed once the workflow is active). After 409
    /// (the key is still in flight at Novu), 429 (refused before the key was looked at) or no answer at
    /// all, the same key is sent again, since Novu may have processed it — unless that attempt was a bulk
    /// request, which carries no key of the event's own: then `<txid>.r<attempt>`, since the key the
    /// event last sent may hold a cached failure. The `transactionId` in the body never changes, so Novu
    /// still dedupes the notification itself.
    package static func idempotencyKey(
        transactionId: String,
        attempt: Int,
        previousStatus: Int?,
        previousKey: String?
    ) -> String {
        guard attempt > 1 else { return transactionId }
        // Novu caches successful answers under a key as well: a 201 judged a failure (`trigger_not_active`)
        // and replayed once the workflow is active would otherwise get the cached refusal back.
        if let previousStatus, previousStatus != 409, previousStatus != 429 {
            return "\(transactionId).r\(attempt)"
        }
        return previousKey ?? "\(transactionId).r\(attempt)"
    }
}
