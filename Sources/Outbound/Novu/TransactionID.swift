import Crypto
import Foundation

/// The ids the bridge sends Novu for a Segment event (DESIGN §3, "Novu requests").
public enum TransactionID {
    /// `seg-` + the messageId when it is at most 60 characters of `[A-Za-z0-9._:-]`, else `seg-` + the
    /// first 40 hex characters of its SHA-256. Stable: every retry of the event carries the same value.
    public static func forSegmentMessage(_ messageId: String) -> String {
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
    /// attempt that got a 5xx answer the next sends `<txid>.r<attempt>`: Novu caches error answers under
    /// a key for 24 h, so reusing it would replay the error. After an attempt with no answer the same
    /// key is sent again, since Novu may have processed it.
    public static func idempotencyKey(
        transactionId: String,
        attempt: Int,
        previousStatus: Int?,
        previousKey: String?
    ) -> String {
        guard attempt > 1 else { return transactionId }
        if let previousStatus, (500..<600).contains(previousStatus) {
            return "\(transactionId).r\(attempt)"
        }
        return previousKey ?? transactionId
    }
}
