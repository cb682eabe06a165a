import Foundation

/// Where things are, found from this file's location so tests run from any working directory.
enum TestPaths {
    static let repository: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }  // Support, GatewayHostTests, Tests, <repo>
        return url.path
    }()

    static var abiInclude: String { repository + "/Sources/PolicyABI/include" }
    static var header: String { abiInclude + "/policy_abi.h" }
    static var fixtures: String { repository + "/Tests/GatewayHostTests/Fixtures/plugins" }
    static var debugProducts: String { repository + "/.build/debug" }

    /// A fresh private folder (mode 0700), as the loader wants plugin folders to be.
    static func makeTemporaryFolder(_ label: String = "gwtest") -> String {
        let base =
            NSTemporaryDirectory().hasSuffix("/") ? String(NSTemporaryDirectory().dropLast()) : NSTemporaryDirectory()
        var template = Array((base + "/\(label).XXXXXX").utf8CString)
        let path = template.withUnsafeMutableBufferPointer { buffer -> String in
            guard let result = mkdtemp(buffer.baseAddress!) else { fatalError("mkdtemp failed") }
            return String(cString: result)
        }
        return path
    }
}
