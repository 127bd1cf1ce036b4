// swift-tools-version:6.1
// Micro-benchmarks of the AWS client's request path, with malloc counts (ordo-one/benchmark).
// A package of its own, so that neither the project's build nor its tests depend on the
// benchmark package. Run from this directory:  swift package benchmark   (see README.md)
import PackageDescription

let package = Package(
    name: "uservault-micro-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "uservault", path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ClientPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AWSClients", package: "uservault"),
            ],
            path: "Benchmarks/ClientPath",
            resources: [.copy("stand_in.py")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
