// swift-tools-version:6.1
import Foundation
import PackageDescription

// libFuzzer targets for the parsers that face the network. Built only by `Fuzz/run.sh` (`make fuzz`),
// which adds `-sanitize=fuzzer,address`; the bridge's own `swift build` and `swift test` never see them.

/// A path dependency is known by its folder's name, and that is whatever the clone is called.
let bridge = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]
/// Links libFuzzer (and ASan's runtime) into the executables; the compile flags come from `run.sh`.
let fuzzerLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]

/// A libFuzzer executable: hands each input to its check in the bridge's `FuzzChecks`.
func fuzzTarget(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport", .product(name: "FuzzChecks", package: bridge)],
        swiftSettings: settings,
        linkerSettings: fuzzerLink
    )
}

let package = Package(
    name: "bridge-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .systemLibrary(name: "CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer"], swiftSettings: settings),
        fuzzTarget("FuzzJSON"),
        fuzzTarget("FuzzSegmentBody"),
        fuzzTarget("FuzzNovuWebhook"),
        fuzzTarget("FuzzMappingFile"),
    ],
    swiftLanguageModes: [.v6]
)
