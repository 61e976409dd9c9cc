import JSON

/// The properties the fuzz targets (`Fuzz/`) check, one function per target: each takes one input and
/// crashes when a property does not hold. They live in the bridge's own package, so they can use its
/// `package` API; the fuzz package only hands libFuzzer's inputs to them. The seed corpus runs through
/// them in `make test` too (`FuzzChecksTests`).
public enum FuzzChecks {}

/// Crashes with `message` when `condition` is false: a property the fuzzer found broken. Not
/// `precondition`, whose message an optimised build drops.
func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

/// The same JSON, numbers compared by value: the writer prints an integral double as an integer
/// (`3.0` as `3`), so a parsed `3.0` reads back as `3`.
func sameJSON(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): Double(x) == y
    case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy { sameJSON($0, $1) }
    case (.object(let x), .object(let y)):
        x.count == y.count && x.allSatisfy { key, value in y[key].map { sameJSON(value, $0) } ?? false }
    default: a == b
    }
}

/// The bytes as text, for a crash message.
func text(_ bytes: some Sequence<UInt8>) -> String {
    String(decoding: Array(bytes), as: UTF8.self)
}
