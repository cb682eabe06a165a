import Foundation
import GatewayWire

/// Recent latency of one target as a peak-EWMA (as Finagle and Linkerd balance load): a sample above the
/// average replaces it at once (a target that slows down is noticed on its first slow answer); samples below
/// pull it down with weight 1 - e^(-Δt/τ), τ = `decaySeconds`, but at least `minimumWeight` per sample (a
/// target that gets few requests, as a recovering one does from exploration, still converges in a few
/// samples instead of waiting for time to pass). While no sample arrives the score decays
/// towards zero with the same τ, so a target that was slow and then left alone is tried again after a while
/// (a recovered target is noticed), besides the router's exploration.
///
/// For streams the sample is the time to the first event; for JSON the time to the whole answer.
package final class LatencyTracker: Sendable {
    /// Decay time constant, seconds.
    package static let decaySeconds: Double = 10
    /// The least a faster sample counts: 0.3 brings a 200 ms average under 100 ms in three 50 ms samples.
    package static let minimumWeight = 0.3

    private struct State {
        var average: Double = 0
        var lastSample: UInt64 = 0
        var samples = 0
    }
    private let state = Locked(State())

    package init() {}

    package func record(milliseconds: Double, now: UInt64) {
        state.withLock { s in
            if s.samples == 0 || milliseconds > s.average {
                s.average = milliseconds
            } else {
                let elapsed = Double(now &- s.lastSample) / 1e9
                let keep = min(exp(-elapsed / Self.decaySeconds), 1 - Self.minimumWeight)
                s.average = s.average * keep + milliseconds * (1 - keep)
            }
            s.lastSample = now
            s.samples += 1
        }
    }

    /// The score the `latency` strategy sorts by (milliseconds; 0 for a target never measured).
    package func score(now: UInt64) -> Double {
        state.withLock { s in
            guard s.samples > 0 else { return 0 }
            let idle = Double(now &- s.lastSample) / 1e9
            return s.average * exp(-idle / (Self.decaySeconds * 3))
        }
    }

    /// The average as measured, for `/health/targets` (nil before the first sample).
    package var averageMilliseconds: Double? { state.withLock { $0.samples > 0 ? $0.average : nil } }
}
