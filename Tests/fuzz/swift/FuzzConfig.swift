import Foundation

/// libFuzzer target: the YAML config loader (libyaml events, the tree builder, every decoder). Invariant:
/// any input either loads or gives errors with a position; never a crash or a hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        _ = try ConfigLoader.parse(
            text: text, file: "fuzz.yaml", baseDirectory: "/nonexistent", environment: ["K": "v", "EMPTY": ""])
    } catch {
        for problem in error.errors { precondition(problem.line >= 0 && problem.column >= 0) }
    }
    return 0
}
