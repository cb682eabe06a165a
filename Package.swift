// swift-tools-version:6.1
import PackageDescription

/// Plugins export only their entry symbol (PAB_EXPORT); everything else stays hidden.
let pluginCSettings: [CSetting] = [
    .unsafeFlags(["-fvisibility=hidden", "-std=c11"]),
    .headerSearchPath("../common"),  // Plugins/common/pab_json.h, the plugins' shared JSON reader
]

let package = Package(
    name: "gatewayhost",
    products: [
        .executable(name: "gatewayhost", targets: ["GatewayHost"]),
        // The Swift plugin template, built as .build/<config>/libExampleSwiftPolicy.so.
        .library(name: "ExampleSwiftPolicy", type: .dynamic, targets: ["ExampleSwiftPolicy"]),
        // The built-in policies, written in C against the PolicyABI header only, as an operator's plugin would be.
        .library(name: "PromptInjection", type: .dynamic, targets: ["PromptInjection"]),
        .library(name: "PiiDetector", type: .dynamic, targets: ["PiiDetector"]),
        .library(name: "AuditLogger", type: .dynamic, targets: ["AuditLogger"]),
    ],
    // OTLP trace export (swift-otel). On by default; the ThreadSanitizer build turns it off
    // (`--disable-default-traits`) because swift-otel 1.6.0 does not compile with -sanitize=thread (a
    // "sending 'logger' risks causing data races" error inside OTelBatchSpanProcessor). Without it the
    // gateway refuses `gateway.tracing` at start with a clear message.
    traits: [
        .trait(name: "OTLPTracing", description: "Export OpenTelemetry traces over OTLP/HTTP (swift-otel)."),
        .default(enabledTraits: ["OTLPTracing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // Traces only, exported over OTLP/HTTP: the gRPC exporter (and its build time) is left out.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // The plugin ABI: a header only. The one thing a plugin author needs.
        .target(name: "PolicyABI", path: "Sources/PolicyABI"),
        .systemLibrary(
            name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CYAML", path: "Sources/CYAML", pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]),
        // zlib's crc32 for the CRCs of AWS event-stream frames (Bedrock ConverseStream).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // hiredis for the shared limit state (Redis); sqlite3 for the usage ledger.
        // No pkgConfig: hiredis's .pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM refuses with a warning; the
        // shim includes <hiredis/hiredis.h> by its full path instead.
        .systemLibrary(name: "CHiredis", path: "Sources/CHiredis", providers: [.apt(["libhiredis-dev"])]),
        // epoll and eventfd wrappers for the curl multi loop (Linux headers only, no library).
        .systemLibrary(name: "CEpoll", path: "Sources/CEpoll"),
        .systemLibrary(
            name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // The wire formats: JSON spans, text segments, splicing, request validation, SSE. No I/O.
        .target(name: "GatewayWire", dependencies: ["PolicyABI"]),
        // The gateway: config, plugins, the chain, routing, providers, the upstream client, the server.
        .target(
            name: "GatewayCore",
            dependencies: [
                "PolicyABI", "GatewayWire", "CCurl", "CEpoll", "CYAML", "CZlib", "CHiredis", "CSQLite",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel", condition: .when(traits: ["OTLPTracing"])),
            ]),
        // The `gatewayhost` command: a thin CLI over GatewayCore.
        .executableTarget(
            name: "GatewayHost",
            dependencies: [
                "GatewayCore", "GatewayWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // Swift plugin template: depends on the C ABI only, never on the host.
        .target(name: "ExampleSwiftPolicy", dependencies: ["PolicyABI"], path: "Plugins/ExampleSwiftPolicy"),
        .target(
            name: "PromptInjection", dependencies: ["PolicyABI"], path: "Plugins/prompt-injection",
            exclude: ["tests", "tools", "train", "README.md"], publicHeadersPath: ".", cSettings: pluginCSettings),
        .target(
            name: "PiiDetector", dependencies: ["PolicyABI"], path: "Plugins/pii-detector",
            exclude: ["tests", "README.md"], publicHeadersPath: ".", cSettings: pluginCSettings),
        .target(
            name: "AuditLogger", dependencies: ["PolicyABI"], path: "Plugins/audit-logger",
            exclude: ["tests", "README.md"], publicHeadersPath: ".", cSettings: pluginCSettings),
        .testTarget(
            name: "GatewayHostTests",
            dependencies: ["GatewayHost", "GatewayCore", "GatewayWire", "PolicyABI"],
            resources: [.copy("Fixtures")]),
    ]
)
