import Delivery
import Foundation
import Outbound
import Testing

@Suite("Queued Novu calls")
struct NovuCallTests {
    @Test("a queued call reads back whole, also from a slice of a larger buffer")
    func roundTrip() throws {
        let body: JSONValue = ["name": "wf", "payload": ["note": "line\nbreak \"quoted\" é"]]
        let call = NovuCall(
            operation: .subscriberUpsert,
            method: "POST",
            path: "/v2/subscribers",
            body: body,
            transactionId: "seg-m\"1"
        )
        let payload = call.encoded()
        // As a claim may hand it over: a Data whose indices do not start at zero.
        let sliced = (Data("prefix".utf8) + payload).dropFirst(6)
        for bytes in [payload, sliced] {
            let stored = try NovuCall.decode(bytes)
            #expect(stored.operation == .subscriberUpsert)
            #expect(stored.method == "POST")
            #expect(stored.path == "/v2/subscribers")
            #expect(stored.transactionId == "seg-m\"1")
            #expect(stored.body == body.encoded())
        }
        let noBody = NovuCall(
            operation: .subscriberDelete,
            method: "DELETE",
            path: "/v2/subscribers/u1",
            body: nil,
            transactionId: "seg-m2"
        )
        #expect(try NovuCall.decode(noBody.encoded()).body.isEmpty)
    }

    @Test("a payload without its header line is refused", arguments: ["", "{}", "{\"method\":\"POST\"}\n{}"])
    func refused(_ text: String) {
        #expect(throws: NovuCall.PayloadError.self) { try NovuCall.decode(Data(text.utf8)) }
    }
}
