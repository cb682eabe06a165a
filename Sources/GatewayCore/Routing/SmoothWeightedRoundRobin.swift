import GatewayWire

/// Smooth weighted round robin, as nginx spreads requests over weighted upstreams: each pick adds every
/// candidate's weight to its running score, takes the highest, and subtracts the total from it. Over any
/// window the picks follow the weights closely and evenly (3:1 gives a b a a, not a a a b).
///
/// One instance per candidate set (a model group, or the targets of one model); only the candidates passed
/// to a pick take part in it (unhealthy targets are left out by the caller).
package final class SmoothWeightedRoundRobin: Sendable {
    private let scores = Locked<[String: Double]>([:])

    package init() {}

    /// The id picked among `candidates` (id, weight > 0); nil when there is none with a positive weight.
    package func pick(_ candidates: [(id: String, weight: Double)]) -> String? {
        let weighted = candidates.filter { $0.weight > 0 }
        guard !weighted.isEmpty else { return nil }
        return scores.withLock { scores in
            let total = weighted.reduce(0) { $0 + $1.weight }
            var best: (id: String, score: Double)?
            for candidate in weighted {
                let score = scores[candidate.id, default: 0] + candidate.weight
                scores[candidate.id] = score
                if best == nil || score > best!.score { best = (candidate.id, score) }
            }
            scores[best!.id]! -= total
            return best!.id
        }
    }
}
