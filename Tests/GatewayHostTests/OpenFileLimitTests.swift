import Foundation
import Testing

@testable import GatewayCore

#if canImport(Glibc)
    import Glibc
#endif

/// The open-file limit raised at start: what the limits need, never lowered, within the hard limit.
@Suite struct OpenFileLimitTests {
    private func softLimit() -> Int {
        var current = rlimit()
        _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &current)
        return Int(current.rlim_cur)
    }

    @Test func needsASocketPerConnectionAndPerExchangeInFlightPlusAReserve() {
        var limits = ConnectionLimits()
        limits.maxConnections = 8_000
        limits.maxInflightRequests = 9_000
        #expect(OpenFileLimit.needed(for: limits) == 8_000 + 9_000 + OpenFileLimit.reserve)
    }

    @Test func aSmallNeedNeverLowersTheLimit() {
        var limits = ConnectionLimits()
        limits.maxConnections = 1
        limits.maxInflightRequests = 1
        let before = softLimit()
        let outcome = OpenFileLimit.raise(for: limits)
        #expect(outcome.before == before && outcome.after == before && !outcome.capped)
        #expect(softLimit() == before)
        #expect(outcome.description == "open-file limit \(before) (needed \(OpenFileLimit.needed(for: limits)))")
    }

    @Test func aNeedAboveTheHardLimitIsCappedAndSaysSo() {
        var current = rlimit()
        _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &current)
        guard current.rlim_max != rlim_t.max, current.rlim_max < 1 << 30 else { return }  // unlimited: nothing to cap
        var limits = ConnectionLimits()
        limits.maxConnections = Int(current.rlim_max) + 1
        let outcome = OpenFileLimit.raise(for: limits)
        #expect(outcome.capped)
        #expect(outcome.after == Int(current.rlim_max))
        #expect(outcome.description.contains("below the \(OpenFileLimit.needed(for: limits))"))
    }
}
