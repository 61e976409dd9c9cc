import Delivery
import HTTPTypes
import JSON
import Testing

@testable import FrontDoor

@Suite("Gate")
struct GateTests {
    static let bearer = Gate.Requirement.bearer(Credentials(["tok-new", "tok-old"]), variable: "SEGMENT_AUTH_TOKEN")

    static func gate(
        authenticated: Bool,
        allow: Bool = false,
        notConfigured: String? = nil,
        _ requirements: [Gate.Requirement] = []
    )
        -> Gate
    {
        var gate = Gate(authenticated: authenticated, protectedHint: "SEGMENT_AUTH_TOKEN", requirements: requirements)
        gate.allowUnauthenticated = allow
        gate.notConfigured = notConfigured
        return gate
    }

    static func headers(authorization: String? = nil) -> HTTPFields {
        var fields = HTTPFields()
        if let authorization { fields[.authorization] = authorization }
        return fields
    }

    /// A gate, a peer, the request's Authorization header, and the status it gets (nil: let in).
    static let cases: [(name: String, gate: Gate, peer: Peer, authorization: String?, status: Int?, error: String?)] = [
        ("no auth, local", gate(authenticated: false), .local, nil, nil, nil),
        ("no auth, remote: protected mode", gate(authenticated: false), .remote, nil, 403, "ProtectedMode"),
        ("no auth, remote, allowed", gate(authenticated: false, allow: true), .remote, nil, nil, nil),
        ("not configured answers 503 even locally", gate(authenticated: true, notConfigured: "set X"), .local, nil, 503, "NotConfigured"),
        (
            "protected mode comes first for strangers", gate(authenticated: false, notConfigured: "set X"), .remote, nil, 403,
            "ProtectedMode"
        ),
        ("bearer missing", gate(authenticated: true, [bearer]), .remote, nil, 401, "Unauthorized"),
        (
            "credentials before configuration", gate(authenticated: true, notConfigured: "set X", [bearer]), .remote, nil, 401,
            "Unauthorized"
        ),
        (
            "with credentials, not configured", gate(authenticated: true, notConfigured: "set X", [bearer]), .remote, "Bearer tok-new", 503,
            "NotConfigured"
        ),
        ("bearer wrong", gate(authenticated: true, [bearer]), .remote, "Bearer nope", 401, "Unauthorized"),
        ("bearer, the new token", gate(authenticated: true, [bearer]), .remote, "Bearer tok-new", nil, nil),
        ("bearer, the old token during rotation", gate(authenticated: true, [bearer]), .remote, "Bearer tok-old", nil, nil),
        ("bearer also from this machine", gate(authenticated: true, [bearer]), .local, nil, 401, "Unauthorized"),
        (
            "a check of the port's own", gate(authenticated: true, [.check { _ in .error(415, "UnsupportedMediaType", "m") }]), .local, nil,
            415, "UnsupportedMediaType"
        ),
    ]

    @Test("who gets in, from the peer and the headers alone", arguments: cases)
    func refusal(name: String, gate: Gate, peer: Peer, authorization: String?, status: Int?, error: String?) {
        let answer = gate.refusal(peer: peer, headers: Self.headers(authorization: authorization))
        #expect(answer?.status == status, "\(name)")
        #expect(answer?.body["error"]?.stringValue == error, "\(name)")
    }

    @Test("the protected-mode answer names the variable to set")
    func protectedHint() {
        let answer = Self.gate(authenticated: false).refusal(peer: .remote, headers: [:])
        #expect(answer?.body["message"]?.stringValue?.contains("set SEGMENT_AUTH_TOKEN") == true)
        #expect(answer?.body["message"]?.stringValue?.contains("BRIDGE_ALLOW_UNAUTHENTICATED=1") == true)
    }
}
