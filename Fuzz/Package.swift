// swift-tools-version:6.1
import Foundation
import PackageDescription

// libFuzzer targets for the parsers that face the network. Built only by `Fuzz/run.sh` (`make fuzz`),
// which adds `-sanitize=fuzzer,address`; the bridge's own `swift build` and `swift test` never see them.

/// A path dependency is known by its folder's name, and that is whatever the clone is called.
let bridge = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

/// The bridge declares its API `package`, not `public`: it is one package. The fuzz targets join it by
/// compiling under its package name, which SwiftPM derives from the same folder name.
let bridgePackageName = String(bridge.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })

let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .unsafeFlags(["-package-name", bridgePackageName]),
]
/// Links libFuzzer (and ASan's runtime) into the executables; the compile flags come from `run.sh`.
let fuzzerLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]

func fuzzTarget(_ name: String, _ products: [String], extra: [Target.Dependency] = []) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: bridge) } + extra,
        swiftSettings: settings,
        linkerSettings: fuzzerLink
    )
}

let package = Package(
    name: "bridge-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CFuzzer"),
        .target(
            name: "FuzzSupport",
            dependencies: ["CFuzzer", .product(name: "JSON", package: bridge), .product(name: "Delivery", package: bridge)],
            swiftSettings: settings
        ),
        fuzzTarget("FuzzJSON", ["JSON"]),
        fuzzTarget("FuzzSegmentBody", ["JSON", "Delivery", "Outbound"]),
        fuzzTarget("FuzzNovuWebhook", ["JSON", "Delivery", "Inbound"]),
        // MappingFile.swift lives in the `bridge` executable, which cannot be imported: the target
        // compiles that one file through a symlink instead.
        fuzzTarget(
            "FuzzMappingFile",
            ["JSON", "Delivery", "Outbound", "Inbound"],
            extra: [.product(name: "Yams", package: "Yams")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
