// swift-tools-version:6.0
import PackageDescription

/// Reference servers for `bench/run.sh`: what the serving stack costs with no gateway logic at all.
///
/// - `floor-nio-responder`: SwiftNIO's HTTP/1.1 server answering the mock's fixed bodies (no upstream call).
/// - `floor-hummingbird-responder`: the same answers from a Hummingbird router (no upstream call).
/// - `floor-nio-proxy`: a minimal SwiftNIO reverse proxy (one upstream connection per client connection on
///   the client's event loop, parts forwarded as they come): a lower bound for any proxy on SwiftNIO.
///
/// They are measured in the same run as nginx and gatewayhost, so the report shows which part of the gap to
/// nginx the stack itself sets. Not part of the gateway; built only by the benchmark.
let package = Package(
    name: "gatewayhost-bench-floor",
    products: [
        .executable(name: "floor-nio-responder", targets: ["NIOResponder"]),
        .executable(name: "floor-hummingbird-responder", targets: ["HummingbirdResponder"]),
        .executable(name: "floor-nio-proxy", targets: ["NIOProxy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // The SwiftNIO server set-up both NIO floors share.
        .target(
            name: "FloorServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "NIOResponder",
            dependencies: [
                "FloorServer", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "HummingbirdResponder", dependencies: [.product(name: "Hummingbird", package: "hummingbird")]),
        .executableTarget(
            name: "NIOProxy",
            dependencies: [
                "FloorServer", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
    ]
)
