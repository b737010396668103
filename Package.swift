// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "loadops",
    platforms: [.macOS(.v13)],
    // Only the command is offered: LoadOpsKit is built with an unsafe flag (below), which SwiftPM
    // refuses in any package that depends on this one, so it is not a library product.
    products: [
        .executable(name: "loadops", targets: ["loadops"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.20.0"),
        // Already built for postgres-nio; SHA-256 of archive manifests.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        // `loadops run --metrics-listen`: the Prometheus text format of a run's live figures.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Already built for swift-nio; the socket event loop's timers are a heap.
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        .executableTarget(
            name: "loadops",
            dependencies: [
                "LoadOpsKit",
                "LoadTarget",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "LoadOpsKit",
            dependencies: [
                "DurationSyntax",
                "CSocketLoop",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: [
                // The generator's hot path touches per-loop state on every request; dynamic
                // exclusivity checks (a thread-local lookup each) cost about 4% of the
                // generator's CPU. Debug builds keep them, so the tests still catch violations.
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
            ]
        ),
        // The one duration parser, shared by LoadOpsKit and the built-in target.
        .target(name: "DurationSyntax"),
        // epoll and eventfd for the generator's socket event loop (Linux).
        .target(name: "CSocketLoop"),
        .target(
            name: "LoadTarget",
            dependencies: [
                "DurationSyntax",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "LoadOpsKitTests",
            dependencies: [
                "LoadOpsKit",
                "LoadTarget",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // A TLS test server that closes without close_notify, with certificates made by openssl.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
    ]
)
