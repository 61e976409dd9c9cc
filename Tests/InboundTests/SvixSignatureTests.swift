import Foundation
import Inbound
import Testing

@Suite("Svix / Standard Webhooks signatures")
struct SvixSignatureTests {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    let timestamp = "1614265330"
    let body = Array(#"{"test": 2432232314}"#.utf8)
    var at: Date { Date(timeIntervalSince1970: 1_614_265_330) }

    @Test("the published vector verifies")
    func knownVector() throws {
        let verifier = try SvixSignature(secrets: [secret])
        let signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        #expect(try SvixSignature.sign(secret: secret, id: id, timestamp: timestamp, body: body) == signature)
        #expect(verifier.verify(id: id, timestamp: timestamp, signatures: signature, body: body, now: at) == nil)
    }

    @Test("a request signed now passes; one byte changed fails")
    func signedNow() throws {
        let verifier = try SvixSignature(secrets: [secret])
        let now = Date()
        let stamp = String(Int(now.timeIntervalSince1970))
        let payload = Array(#"{"type":"message.delivered"}"#.utf8)
        let signature = try SvixSignature.sign(secret: secret, id: "msg_1", timestamp: stamp, body: payload)
        #expect((verifier.verify(id: "msg_1", timestamp: stamp, signatures: signature, body: payload, now: now)) == nil)
        var changed = payload
        changed[2] = UInt8(ascii: "T")
        #expect(verifier.verify(id: "msg_1", timestamp: stamp, signatures: signature, body: changed, now: now) == .noMatch)
        #expect(verifier.verify(id: "msg_2", timestamp: stamp, signatures: signature, body: payload, now: now) == .noMatch)
    }

    @Test("one verifier checks many requests at once, each on its own: the keyed MAC is copied, not shared")
    func concurrentRequests() async throws {
        let other = "whsec_" + Data("another secret of the endpoint".utf8).base64EncodedString()
        let verifier = try SvixSignature(secrets: [other, secret])
        let now = Date()
        let stamp = String(Int(now.timeIntervalSince1970))
        let verdicts = try await withThrowingTaskGroup(of: (Int, SvixSignature.Failure?).self) { group in
            for index in 0..<400 {
                let payload = Array(#"{"n":\#(index)}"#.utf8)
                // Every third request is signed for another body, so a MAC fed by two requests would show.
                let signed = index % 3 == 0 ? Array(#"{"n":-1}"#.utf8) : payload
                let signature = try SvixSignature.sign(secret: secret, id: "msg_\(index)", timestamp: stamp, body: signed)
                group.addTask {
                    (index, verifier.verify(id: "msg_\(index)", timestamp: stamp, signatures: signature, body: payload, now: now))
                }
            }
            return try await group.reduce(into: [Int: SvixSignature.Failure?]()) { $0[$1.0] = $1.1 }
        }
        #expect(verdicts.count == 400)
        for (index, verdict) in verdicts {
            #expect(verdict == (index % 3 == 0 ? .noMatch : nil), "request \(index)")
        }
    }

    @Test("any of several signatures, under any of several secrets, passes (rotation)")
    func rotation() throws {
        let other = "whsec_" + Data("another secret of the endpoint".utf8).base64EncodedString()
        let verifier = try SvixSignature(secrets: [other, secret])
        let good = try SvixSignature.sign(secret: secret, id: id, timestamp: timestamp, body: body)
        let header = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v2,whatever \(good)"
        #expect((verifier.verify(id: id, timestamp: timestamp, signatures: header, body: body, now: at)) == nil)
        let unknownOnly = try SvixSignature(secrets: [other])
        #expect(unknownOnly.verify(id: id, timestamp: timestamp, signatures: good, body: body, now: at) == .noMatch)
    }

    @Test("timestamps more than 5 minutes away, either way, fail")
    func tolerance() throws {
        let verifier = try SvixSignature(secrets: [secret])
        let good = try SvixSignature.sign(secret: secret, id: id, timestamp: timestamp, body: body)
        #expect((verifier.verify(id: id, timestamp: timestamp, signatures: good, body: body, now: at.addingTimeInterval(299))) == nil)
        #expect(
            verifier.verify(id: id, timestamp: timestamp, signatures: good, body: body, now: at.addingTimeInterval(301)) == .staleTimestamp
        )
        #expect(
            verifier.verify(id: id, timestamp: timestamp, signatures: good, body: body, now: at.addingTimeInterval(-301)) == .staleTimestamp
        )
        #expect(verifier.verify(id: id, timestamp: "yesterday", signatures: good, body: body, now: at) == .badTimestamp)
        #expect(verifier.verify(id: id, timestamp: "", signatures: good, body: body, now: at) == .badTimestamp)
        #expect(verifier.verify(id: id, timestamp: "12 34", signatures: good, body: body, now: at) == .badTimestamp)
        // Spaces around the number are tolerated; the signature covers the header as sent.
        let spaced = " \(timestamp)\t"
        let signedSpaced = try SvixSignature.sign(secret: secret, id: id, timestamp: spaced, body: body)
        #expect(verifier.verify(id: id, timestamp: spaced, signatures: signedSpaced, body: body, now: at) == nil)
    }

    @Test("missing headers fail")
    func missing() throws {
        let verifier = try SvixSignature(secrets: [secret])
        #expect(verifier.verify(id: nil, timestamp: timestamp, signatures: "v1,x", body: body, now: at) == .missingHeaders)
        #expect(verifier.verify(id: id, timestamp: nil, signatures: "v1,x", body: body, now: at) == .missingHeaders)
        #expect(verifier.verify(id: id, timestamp: timestamp, signatures: nil, body: body, now: at) == .missingHeaders)
    }

    @Test("a secret that is not base64 is refused")
    func badSecret() {
        #expect(throws: SvixSignature.InvalidSecret.self) { try SvixSignature(secrets: ["whsec_!!!not base64"]) }
        #expect(throws: Never.self) { try SvixSignature(secrets: []) }
    }
}
