import Foundation
import Outbound
import Testing

@Suite("X-Signature (Segment Webhooks destination)")
struct SegmentSignatureTests {
    let secret = "shh"

    @Test("an object body is signed whole, lowercase hex HMAC-SHA1")
    func wholeBody() {
        let body = Array(#"{"type":"track"}"#.utf8)
        let signature = SegmentSignature.sign(body: body, secret: secret)
        // openssl: printf '{"type":"track"}' | openssl dgst -sha1 -hmac shh
        #expect(signature == "f83a12b4d536bc44910e5e112fce96095ac1c2aa")
        #expect(signature == signature.lowercased())
        #expect(SegmentSignature.isValid(body: body, signature: signature, secret: secret))
        #expect(SegmentSignature.isValid(body: body, signature: signature.uppercased(), secret: secret))
    }

    @Test("an array body is signed over its first element only")
    func arrayFirstElement() {
        let first = #"{"type":"track","properties":{"note":"a ] and } and \" inside"}}"#
        let body = Array("[\(first),{\"type\":\"identify\"}]".utf8)
        #expect(Array(SegmentSignature.signedBytes(of: body)) == Array(first.utf8))
        let signature = SegmentSignature.sign(body: Array(first.utf8), secret: secret)
        #expect(SegmentSignature.isValid(body: body, signature: signature, secret: secret))
    }

    @Test("a wrong, missing, malformed or other-secret signature fails")
    func failures() {
        let body = Array(#"{"type":"track"}"#.utf8)
        let good = SegmentSignature.sign(body: body, secret: secret)
        #expect(!SegmentSignature.isValid(body: body, signature: nil, secret: secret))
        #expect(!SegmentSignature.isValid(body: body, signature: "", secret: secret))
        #expect(!SegmentSignature.isValid(body: body, signature: "zz" + good.dropFirst(2), secret: secret))
        #expect(!SegmentSignature.isValid(body: body, signature: good, secret: "other"))
        var tampered = body
        tampered[3] = UInt8(ascii: "x")
        #expect(!SegmentSignature.isValid(body: tampered, signature: good, secret: secret))
    }
}

@Suite("Transaction ids and idempotency keys")
struct TransactionIDTests {
    @Test("a short, plain messageId is used as is")
    func plain() {
        #expect(TransactionID.forSegmentMessage("ajs-next-1732873200000-5c1d9f2e") == "seg-ajs-next-1732873200000-5c1d9f2e")
        #expect(TransactionID.forSegmentMessage("delete-reg-1::job-7-P0FIXTURE") == "seg-delete-reg-1::job-7-P0FIXTURE")
        let sixty = String(repeating: "a", count: 60)
        #expect(TransactionID.forSegmentMessage(sixty) == "seg-" + sixty)
    }

    @Test("a long or unusual messageId is hashed to 40 hex characters")
    func hashed() {
        let long = String(repeating: "a", count: 61)
        let id = TransactionID.forSegmentMessage(long)
        #expect(id.hasPrefix("seg-"))
        #expect(id.count == 44)
        #expect(id.dropFirst(4).allSatisfy { $0.isHexDigit })
        #expect(TransactionID.forSegmentMessage(long) == id)
        #expect(TransactionID.forSegmentMessage("with space").count == 44)
        #expect(TransactionID.forSegmentMessage("ünïcode").count == 44)
    }

    @Test("keys: the txid first; .r<attempt> after an answer; the same key after no answer, 409 or 429")
    func keys() {
        let tx = "seg-1"
        #expect(TransactionID.idempotencyKey(transactionId: tx, attempt: 1, previousStatus: nil, previousKey: nil) == tx)
        #expect(TransactionID.idempotencyKey(transactionId: tx, attempt: 2, previousStatus: 500, previousKey: tx) == "seg-1.r2")
        #expect(TransactionID.idempotencyKey(transactionId: tx, attempt: 3, previousStatus: 503, previousKey: "seg-1.r2") == "seg-1.r3")
        #expect(TransactionID.idempotencyKey(transactionId: tx, attempt: 3, previousStatus: nil, previousKey: "seg-1.r2") == "seg-1.r2")
        #expect(TransactionID.idempotencyKey(transactionId: tx, attempt: 2, previousStatus: nil, previousKey: tx) == tx)
        // After a bulk attempt with no answer there is no key of the event's own to keep.
        #expect(TransactionID.idempotencyKey(transactionId: tx, attempt: 3, previousStatus: nil, previousKey: nil) == "seg-1.r3")
        #expect(TransactionID.idempotencyKey(transactionId: tx, attempt: 2, previousStatus: 429, previousKey: tx) == tx)
        #expect(TransactionID.idempotencyKey(transactionId: tx, attempt: 2, previousStatus: 409, previousKey: tx) == tx)
        // A dead letter (422) replayed by an operator must not meet Novu's cached 422.
        #expect(TransactionID.idempotencyKey(transactionId: tx, attempt: 2, previousStatus: 422, previousKey: tx) == "seg-1.r2")
        // Novu caches successes too: a 201 judged a failure (trigger_not_active), replayed once the workflow
        // is active, must not get the cached refusal back.
        #expect(TransactionID.idempotencyKey(transactionId: tx, attempt: 2, previousStatus: 201, previousKey: tx) == "seg-1.r2")
    }
}
