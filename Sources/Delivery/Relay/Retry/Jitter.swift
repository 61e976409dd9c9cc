import Synchronization

/// Numbers in 0..<1 that spread retry backoff. They need no secrecy, only spread, and the relay draws one
/// for every settlement: the system generator costs a `getrandom` system call per draw, this a few
/// instructions (SplitMix64, seeded once from the system generator).
package final class Jitter: Sendable {
    /// The relay's default source.
    package static let shared = Jitter()

    private let state: Mutex<UInt64>

    package init(seed: UInt64 = UInt64.random(in: .min ... .max)) {
        state = Mutex(seed)
    }

    /// The next number in 0..<1.
    package func next() -> Double {
        let bits = state.withLock { state -> UInt64 in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        // The top 53 bits: every value a Double in 0..<1 can hold at that spacing.
        return Double(bits >> 11) * 0x1p-53
    }
}
