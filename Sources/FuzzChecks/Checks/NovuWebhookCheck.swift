import Delivery
import Foundation
import Inbound
import JSON

// A novu-port request: three header lines (webhook-id, webhook-timestamp, webhook-signature), then the
// body. The Svix checks run over it with a fixed secret, then the body is read as a Novu webhook and
// turned into its Segment event.

private let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
private let signature = try! SvixSignature(secrets: [secret])
private let now = Date(timeIntervalSince1970: 1_700_000_000)
private let names = FeedbackNames()
private let cause = Correlation(transactionId: "t", eventName: "Order Completed", messageId: "m", userId: "u", workflow: "w")

extension FuzzChecks {
    /// The `FuzzNovuWebhook` target's check of one input; crashes on a broken property.
    public static func novuWebhook(_ input: [UInt8]) {
        var lines = input.split(separator: UInt8(ascii: "\n"), maxSplits: 3, omittingEmptySubsequences: false)
        while lines.count < 4 { lines.append([]) }
        let (id, timestamp, offered) = (header(lines[0]), header(lines[1]), header(lines[2]))
        let body = Array(lines[3])
        let headers = signature.checkHeaders(id: id, timestamp: timestamp, signatures: offered, now: now)
        let verdict = signature.verify(id: id, timestamp: timestamp, signatures: offered, body: body, now: now)
        expect(headers == nil || verdict != nil || offered?.contains("v1,") == true, "passed without a v1 signature")
        if let headers { expect(verdict == headers, "verify disagrees with checkHeaders") }
        if let id, let timestamp, headers == nil {
            let signed = try! SvixSignature.sign(secret: secret, id: id, timestamp: timestamp, body: body)
            let check = signature.verify(id: id, timestamp: timestamp, signatures: "v0,x " + signed, body: body, now: now)
            expect(check == nil, "a request signed with the secret is refused: \(String(describing: check))")
        }
        guard let json = try? JSONValue.parse(body), let webhook = NovuWebhook(json: json) else { return }
        for cause in [nil, cause] {
            switch FeedbackEvent.make(webhook, names: names, cause: cause, libraryVersion: "fuzz") {
            case .track(let event, let userId, let messageId):
                expect(!userId.isEmpty && event["userId"]?.stringValue == userId, "userId")
                check(event, messageId: messageId)
            case .undeliverable(let event, let messageId, _):
                check(event, messageId: messageId)
            case .ignored:
                break
            }
        }
    }
}

/// A header as the route sees it: absent when the line is empty.
private func header(_ bytes: ArraySlice<UInt8>) -> String? {
    bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
}

/// Segment accepts messageIds up to 100 characters, and the event must survive its encoding.
private func check(_ event: JSONValue, messageId: String) {
    expect(!messageId.isEmpty && messageId.utf8.count <= 100, "messageId '\(messageId)'")
    let again = try? JSONValue.parse(event.encodedBytes())
    expect(again.map { sameJSON($0, event) } == true, "the event does not survive its encoding: \(text(event.encodedBytes()))")
}
