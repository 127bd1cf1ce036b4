// swift-tools-version:6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "uservault",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "uservault", targets: ["uservault"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        // The domain: user model, validation, ports, create/list/get, JSON:API documents.
        .target(
            name: "UserVaultCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // SQLite (GRDB) UserTable + the local AES-256-GCM KeyService.
        .target(
            name: "EmbeddedStore",
            dependencies: [
                "UserVaultCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // Request handlers (plain functions over the core) and the Hummingbird server.
        .target(
            name: "HTTPAPI",
            dependencies: [
                "UserVaultCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The CLI: argument parsing and wiring (the composition root).
        .target(
            name: "UserVaultCLI",
            dependencies: [
                "UserVaultCore", "EmbeddedStore", "HTTPAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "uservault",
            dependencies: ["UserVaultCLI"],
            swiftSettings: strict
        ),
        // The benchmark command (release builds; see Benchmarks/README.md).
        .executableTarget(
            name: "uservault-bench",
            dependencies: ["UserVaultCore", "EmbeddedStore"],
            path: "Benchmarks/uservault-bench",
            swiftSettings: strict
        ),
        // Test support: temporary stores, loopback servers, the JSON:API schema validator, the CLI runner.
        .target(
            name: "TestSupport",
            dependencies: [
                "UserVaultCore", "EmbeddedStore", "HTTPAPI",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport",
            exclude: ["validate_jsonapi.py"],
            swiftSettings: strict
        ),
        .testTarget(name: "UserVaultCoreTests", dependencies: ["UserVaultCore", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "EmbeddedStoreTests", dependencies: ["EmbeddedStore", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "HTTPAPITests", dependencies: ["HTTPAPI", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "UserVaultCLITests", dependencies: ["UserVaultCLI", "TestSupport"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
