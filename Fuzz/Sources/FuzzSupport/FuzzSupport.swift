import CFuzzer
import Delivery
import Foundation
import JSON

/// Hands the process to libFuzzer, which calls `test` with each input until it finds a crash or its time
/// is up. The target's `LLVMFuzzerTestOneInput` is `test`: SwiftPM gives every executable a `main`, so
/// libFuzzer's own cannot be used.
public func runFuzzer(_ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
}

/// Crashes with `message` when `condition` is false: a property the fuzzer found broken. Not
/// `precondition`, whose message an optimised build drops.
public func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

/// The same JSON, numbers compared by value: the writer prints an integral double as an integer
/// (`3.0` as `3`), so a parsed `3.0` reads back as `3`.
public func sameJSON(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): Double(x) == y
    case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy { sameJSON($0, $1) }
    case (.object(let x), .object(let y)):
        x.count == y.count && x.allSatisfy { key, value in y[key].map { sameJSON(value, $0) } ?? false }
    default: a == b
    }
}

/// The bytes as text, for a crash message.
public func text(_ bytes: some Sequence<UInt8>) -> String {
    String(decoding: Array(bytes), as: UTF8.self)
}
