import Foundation

/// Runs a program and returns its exit status and combined output (tests only).
///
/// The wait happens on a thread of its own, never on the cooperative pool: Swift Testing runs tests in
/// parallel on as many cooperative threads as there are cores, and a blocking `waitUntilExit` there would
/// stall every other test (timing assertions included) for as long as a compiler runs.
enum Shell {
    struct Result: Sendable {
        let status: Int32
        let output: String
    }

    @discardableResult
    static func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil) async throws
        -> Result
    {
        try await offPool { try runBlocking(program, arguments, environment: environment) }
    }

    /// Runs `work` on a fresh thread and resumes the caller when it returns.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Swift.Result { try work() }) }
            thread.start()
        }
    }

    /// The blocking form, for code already running on a thread of its own.
    static func runBlocking(_ program: String, _ arguments: [String], environment: [String: String]? = nil) throws
        -> Result
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static var cc: String {
        for candidate in ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return "/usr/bin/cc"
    }
}
