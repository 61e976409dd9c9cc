import Foundation
import Testing

@testable import Outbound

@Suite("Write keys")
struct WriteKeyTests {
    static let configured = ["wk-first-0123", "wk-second-4567", "wk-third-89ab"]

    /// A candidate, the keys it is compared with, and whether it is accepted.
    static let cases: [(candidate: String, keys: [String], accepted: Bool)] = [
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
        ("clé-é", ["clé-é"], true),
        // The same text in another Unicode form is other bytes, and another key.
        ("cle\u{301}-é", ["clé-é"], false),
        ("k", ["k", "k"], true),
    ]

    @Test("a candidate matches exactly one of the configured keys, byte for byte", arguments: cases)
    func matches(candidate: String, keys: [String], accepted: Bool) {
        #expect(WriteKey.matches(candidate, anyOf: keys) == accepted)
        #expect(WriteKey.matches(candidate, anyOf: Set(keys)) == accepted)
    }

    static let byteCases: [(a: [UInt8], b: [UInt8], equal: Bool)] = [
        ([], [], true), ([1, 2, 3], [1, 2, 3], true), ([1, 2, 3], [1, 2, 4], false), ([0, 2, 3], [1, 2, 3], false),
        ([1, 2], [1, 2, 0], false), ([1, 2, 0], [1, 2], false), ([], [0], false),
        // Lengths whose difference vanishes in a byte must still differ.
        ([], [UInt8](repeating: 0, count: 256), false),
    ]

    @Test("the fixed-time byte comparison", arguments: byteCases)
    func fixedTimeEqual(a: [UInt8], b: [UInt8], equal: Bool) {
        #expect(WriteKey.fixedTimeEqual(a, b) == equal)
    }
}
