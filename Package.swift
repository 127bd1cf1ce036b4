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
        // For the micro-benchmarks in Benchmarks/micro, a package of their own.
        .library(name: "AWSClients", targets: ["AWSClients", "AWSSigning"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // Hummingbird's own dependency, named here for the server's graceful stop (APIServer).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
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
        // One process-wide SQLite setting that Swift cannot make (sqlite3_config is variadic).
        .target(name: "CSQLiteSettings", linkerSettings: [.linkedLibrary("sqlite3")]),
        // SQLite (GRDB) UserTable + the local AES-256-GCM KeyService.
        .target(
            name: "EmbeddedStore",
            dependencies: [
                "UserVaultCore", "CSQLiteSettings",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // libarchive from the system (Debian: libarchive-dev), and the archive reader/writer over it.
        .systemLibrary(name: "CArchive", path: "Sources/CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .target(
            name: "ArchiveIO",
            dependencies: ["CArchive", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // zlib from the system (Debian: zlib1g-dev): the streaming gunzip of DynamoDB's export data files.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // SigV4 only (depends on swift-crypto).
        .target(name: "AWSSigning", dependencies: [.product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        // AWS wire protocols: credentials, transport, retries, DynamoDB / KMS / S3 / STS clients.
        .target(
            name: "AWSClients",
            dependencies: [
                "AWSSigning", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The core's ports over AWS: UserTable over DynamoDB, KeyService over KMS.
        .target(
            name: "AWSBackend",
            dependencies: ["UserVaultCore", "AWSClients", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // Jobs: the scan engine (segments, workers, checkpoints, budgets), the audit, the export, the
        // rotation sweeps and backfills, reports and their review (suppressions file, delta, history).
        // Depends on the core's ports, never on a backend.
        .target(
            name: "Jobs",
            dependencies: [
                "UserVaultCore", "ArchiveIO",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                // report.html from a Mustache template (Reports/Templates), HTML-escaping by default.
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // The template is compiled in (ReportHTML+Template.swift, scripts/generate-report-template.py).
            exclude: ["Reports/Templates"],
            swiftSettings: strict
        ),
        // Request handlers (plain functions over the core) and the Hummingbird server with its
        // connection limits (NIO handlers).
        .target(
            name: "HTTPAPI",
            dependencies: [
                "UserVaultCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The Lambda Runtime API loop of a custom runtime (the same binary on Lambda).
        .target(
            name: "LambdaRuntime",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // What the command line, `watch` and the Lambda handlers share: the settings and the typed
        // jobs (JobRequest.execute), the continuous proof's outlet and the watch, the composition
        // root (Backend: settings to ports), the S3 and Security Hub outputs. No argument parsing.
        .target(
            name: "JobExecution",
            dependencies: [
                "UserVaultCore", "EmbeddedStore", "AWSClients", "AWSBackend", "Jobs", "ArchiveIO",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The Lambda functions' entry points: the `api`, `job`, `stream` and `key-events` handlers.
        .target(
            name: "LambdaHandlers",
            dependencies: [
                "JobExecution", "LambdaRuntime", "HTTPAPI", "Jobs", "UserVaultCore", "AWSClients", "EmbeddedStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The command line: argument parsing (the commands and their option groups), the password
        // prompt; the commands run JobExecution's jobs.
        .target(
            name: "UserVaultCLI",
            dependencies: [
                "JobExecution", "UserVaultCore", "EmbeddedStore", "HTTPAPI", "Jobs", "ArchiveIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "uservault",
            dependencies: [
                "UserVaultCLI", "LambdaHandlers",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The benchmark command (release builds; see Benchmarks/README.md).
        .executableTarget(
            name: "uservault-bench",
            dependencies: [
                "UserVaultCore", "EmbeddedStore", "AWSClients", "AWSSigning",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/uservault-bench",
            swiftSettings: strict
        ),
        // Test support: temporary stores, loopback servers, the JSON:API schema validator, the CLI runner.
        .target(
            name: "TestSupport",
            dependencies: [
                "UserVaultCore", "EmbeddedStore", "HTTPAPI", "AWSClients", "AWSBackend",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/TestSupport",
            exclude: ["validate_jsonapi.py", "validate_ocsf.py", "Fixtures", "signature_server.py", "supervise.py", "dying_proxy.py", "throttling_proxy.py", "forwarding.py"],
            swiftSettings: strict
        ),
        // The fuzz harnesses: each parser of outside bytes, fed any bytes, with its invariants
        // checked. The tests replay Fuzz/corpus and Fuzz/regressions through them; `make fuzz`
        // runs them under libFuzzer (the driver below). `@testable` imports: debug builds only.
        .target(
            name: "FuzzHarnesses",
            dependencies: [
                "AWSClients", "UserVaultCore", "EmbeddedStore", "HTTPAPI", "ArchiveIO", "Jobs", "JobExecution",
                "LambdaHandlers", "LambdaRuntime",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Fuzz/Harnesses",
            swiftSettings: strict
        ),
        .testTarget(name: "FuzzHarnessesTests", dependencies: ["FuzzHarnesses"], swiftSettings: strict),
        .testTarget(name: "UserVaultCoreTests", dependencies: ["UserVaultCore", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "EmbeddedStoreTests",
            dependencies: [
                "EmbeddedStore", "TestSupport",
                // The SQLite C API: a test reads a statement's step count (sqlite3_stmt_status).
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        .testTarget(name: "ArchiveIOTests", dependencies: [
            "ArchiveIO", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        .testTarget(name: "HTTPAPITests", dependencies: ["HTTPAPI", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "AWSSigningTests", dependencies: ["AWSSigning"], swiftSettings: strict),
        .testTarget(name: "AWSClientsTests", dependencies: [
            "AWSClients", "TestSupport", .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: strict),
        .testTarget(name: "AWSBackendTests", dependencies: ["AWSBackend", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "LambdaRuntimeTests", dependencies: [
            "LambdaRuntime", "TestSupport", .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .testTarget(name: "JobsTests", dependencies: [
            "Jobs", "ArchiveIO", "EmbeddedStore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        .testTarget(name: "UserVaultCLITests", dependencies: [
            "UserVaultCLI", "JobExecution", "LambdaHandlers", "TestSupport", "EmbeddedStore", "UserVaultCore", "AWSClients", "AWSSigning",
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)

// `make fuzz` only (USERVAULT_FUZZ=1, its own --scratch-path .build-fuzz): the libFuzzer driver.
// libFuzzer brings its own `main`, so a plain `swift build` must never link this target.
if Context.environment["USERVAULT_FUZZ"] == "1" {
    package.targets.append(.executableTarget(
        name: "uservault-fuzz", dependencies: ["FuzzHarnesses"], path: "Fuzz/Driver", swiftSettings: strict))
}
