import FuzzChecks
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzChecks.novuWebhook(Array(UnsafeBufferPointer(start: start, count: count)))
    return 0
}

runFuzzer(fuzz)
