// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "novu-segment-bridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bridge", targets: ["bridge"]),
        // The properties the fuzz package in Fuzz/ checks; its only public API.
        .library(name: "FuzzChecks", targets: ["FuzzChecks"]),
    ],
    // Exact versions: Package.resolved is not committed, so these pins are what makes a fresh clone
    // build with the dependencies the tests ran against.
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", exact: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        // postgres-nio's own TLS library: its `sslmode` settings are NIOSSL configurations.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // JSON as the bridge reads and writes it: a strict byte parser, a canonical writer, ISO 8601 timestamps.
        .target(name: "JSON", swiftSettings: strict),
        .target(
            name: "Delivery",
            dependencies: [
                "CCurl", "JSON",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The shared queue for several replicas (DESIGN §12): the store protocols over PostgreSQL.
        .target(
            name: "PostgresStore",
            dependencies: [
                "JSON", "Delivery",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "FrontDoor",
            dependencies: [
                "JSON", "Delivery",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
        // The funnel: conversions, the report and the dashboard (DESIGN §11). Pure values over the store's facts.
        .target(
            name: "Effectiveness",
            dependencies: [
                "JSON", "Delivery",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Outbound",
            dependencies: [
                "JSON", "Delivery", "FrontDoor", "Effectiveness",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Inbound",
            dependencies: [
                "JSON", "Delivery", "FrontDoor", "Effectiveness",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The mapping file (`BRIDGE_MAPPING_FILE`): read, checked, and handed to the modules that own its keys.
        .target(
            name: "MappingFiles",
            dependencies: [
                "JSON", "Delivery", "Outbound", "Inbound", "Effectiveness",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // What the fuzz targets check of each input (Fuzz/README.md), public for the fuzz package alone.
        .target(
            name: "FuzzChecks",
            dependencies: ["JSON", "Delivery", "Outbound", "Inbound", "MappingFiles"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "bridge",
            dependencies: [
                "JSON", "Delivery", "PostgresStore", "FrontDoor", "Outbound", "Inbound", "Effectiveness", "MappingFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "BenchBacklog",
            dependencies: ["JSON", "Delivery", "Outbound", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "BenchStore",
            dependencies: ["JSON", "Delivery", "Outbound", "Inbound", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "BenchCeiling",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: strict
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "JSON", "Delivery", "FrontDoor", "PostgresStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "FuzzChecksTests",
            dependencies: ["FuzzChecks"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "JSONTests",
            dependencies: ["JSON"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DeliveryTests",
            dependencies: [
                "JSON", "Delivery", "PostgresStore", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "FrontDoorTests",
            dependencies: [
                "FrontDoor", "Delivery",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "OutboundTests",
            dependencies: [
                "FrontDoor", "Outbound", "Delivery", "TestSupport",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InboundTests",
            dependencies: [
                "FrontDoor", "Inbound", "Delivery", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Captured Novu payloads, read by path (#filePath) like the shared fixtures.
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EffectivenessTests",
            dependencies: ["Effectiveness", "Delivery", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BridgeTests",
            dependencies: [
                "bridge", "Delivery", "PostgresStore", "FrontDoor", "Outbound", "Inbound", "Effectiveness", "MappingFiles", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
