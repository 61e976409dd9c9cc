import Testing

@testable import FrontDoor

@Suite("Credentials")
struct CredentialsTests {
    static let configured = ["wk-first-0123", "wk-second-4567", "wk-third-89ab"]

    /// A candidate, the values it is compared with, and whether it is accepted.
    static let cases: [(candidate: String, values: [String], accepted: Bool)] = [
        ("wk-first-0123", configured, true),
        ("wk-second-4567", configured, true),
        ("wk-third-89ab", configured, true),
        ("wk-first-0124", configured, false),
        ("wk-first-012", configured, false),
        ("wk-first-01234", configured, false),
        ("WK-FIRST-0123", configured, false),
        (" wk-first-0123", configured, false),
        ("", configured, false),
        ("wk-first-0123", [], false),
        ("", [], false),
        // An empty value configured is no value: it never lets an empty candidate in.
        ("", [""], false),
        ("clé-é", ["clé-é"], true),
        // The same text in another Unicode form is other bytes, and another value.
        ("cle\u{301}-é", ["clé-é"], false),
        ("k", ["k", "k"], true),
    ]

    @Test("a candidate is accepted when it is one of the values, byte for byte", arguments: cases)
    func accepts(candidate: String, values: [String], accepted: Bool) {
        #expect(Credentials(values).accepts(candidate) == accepted)
    }

    static let bearerCases: [(header: String?, token: String?)] = [
        ("Bearer tok-1", "tok-1"), ("bearer tok-1", "tok-1"), ("BEARER  tok-1 ", "tok-1"), ("Bearer ", nil), ("Bearer", nil),
        ("Basic dG9rLTE6", nil), ("tok-1", nil), (nil, nil),
    ]

    @Test("the token of an Authorization header: scheme Bearer, any case", arguments: bearerCases)
    func bearer(header: String?, token: String?) {
        #expect(Credentials.bearerToken(header) == token)
        #expect(Credentials(["tok-1"]).acceptsBearer(header) == (token == "tok-1"))
    }
}
