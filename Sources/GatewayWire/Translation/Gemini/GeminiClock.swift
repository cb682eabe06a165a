/// Wall-clock seconds for the `created` field of OpenAI answers. The only impure input of the
/// translator, injectable so tests get fixed bytes.
package enum GeminiClock {
    /// Seconds since 1970 (UTC) from the C library: the stdlib has no wall clock and GatewayWire does not
    /// import Foundation.
    package static func now() -> Int { Int(systemTime()) }
}

#if canImport(Glibc)
    import Glibc
    private func systemTime() -> Int { Int(Glibc.time(nil)) }
#elseif canImport(Musl)
    import Musl
    private func systemTime() -> Int { Int(Musl.time(nil)) }
#elseif canImport(Darwin)
    import Darwin
    private func systemTime() -> Int { Int(Darwin.time(nil)) }
#endif
