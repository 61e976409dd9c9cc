import CFuzzer
import Foundation

/// Hands the process to libFuzzer, which calls `test` with each input until it finds a crash or its time
/// is up. The target's `LLVMFuzzerTestOneInput` is `test`: SwiftPM gives every executable a `main`, so
/// libFuzzer's own cannot be used.
public func runFuzzer(_ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
}
