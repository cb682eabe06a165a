import GatewayWire
import Synchronization

/// The configured targets, model groups and strategy: given a model and an API, which targets may serve the
/// exchange and in which order the attempt loop tries them (`RoutePlan`).
///
/// Usage:
/// ```swift
/// let plan = try pool.plan(model: "gpt-4o", api: .chatCompletions, estimate: estimate)
/// for candidate in plan.candidates { ... }   // see AttemptLoop
/// ```
package final class TargetPool: Sendable {
    package let strategy: RoutingStrategy
    package let targets: [Target]
    package let groups: [ModelGroupConfig]
    package let maxFallbackAttempts: Int
    package let requirements: DataRequirements
    /// Every name a client may route by (groups, aliases, target models and ids): metric labels use a
    /// requested model only when it is one of these.
    package let modelNames: Set<String>
    /// One balancer per candidate set (a group, or the targets of one model name).
    private let balancers = Locked<[String: SmoothWeightedRoundRobin]>([:])
    /// Counts `latency` picks: one in `explorationPeriod` tries another healthy target first, so a target
    /// that recovered (or was never measured since) is measured again.
    private let latencyPicks = Atomic<Int>(0)
    package static let explorationPeriod = 20

    package init(
        strategy: RoutingStrategy, targets: [Target], groups: [ModelGroupConfig] = [], maxFallbackAttempts: Int = 3,
        requirements: DataRequirements = DataRequirements()
    ) {
        self.strategy = strategy
        self.targets = targets
        self.groups = groups
        self.maxFallbackAttempts = maxFallbackAttempts
        self.requirements = requirements
        var names = Set<String>()
        for group in groups { names.formUnion([group.name] + group.aliases) }
        for target in targets { names.formUnion([target.model, target.id]) }
        self.modelNames = names
    }

    /// The models clients can ask for: groups and their aliases, then each target's model and id.
    package var models: [(id: String, ownedBy: String)] {
        var seen = Set<String>()
        var result: [(String, String)] = []
        for group in groups {
            for name in [group.name] + group.aliases where seen.insert(name).inserted {
                result.append((name, "gatewayhost"))
            }
        }
        for target in targets where target.unavailableReason == nil {
            for name in [target.model, target.id] where seen.insert(name).inserted {
                result.append((name, target.provider))
            }
        }
        return result
    }

    /// The targets to try for `model` on `api`, in order. Throws 404 for a model nothing serves, 400 when it is
    /// served on the other API only, 503 when no matching target is usable (no key, data requirements).
    package func plan(
        model: String, api: WireAPI, estimate: RequestEstimate = RequestEstimate(),
        excluded policyExclusions: [String: String] = [:], clientRequirements: DataRequirements? = nil,
        now: UInt64 = MonotonicClock.nanos()
    ) throws(GatewayError) -> RoutePlan {
        let requirements = clientRequirements.map { self.requirements.merged(with: $0) } ?? self.requirements
        let sets = candidateSets(model: model)
        let all = sets.flatMap(\.targets)
        guard !all.isEmpty else { throw GatewayError.unknownModel(model) }
        let serving = all.filter { $0.serves.includes(api) }
        guard !serving.isEmpty else {
            throw GatewayError.validation(
                "The model `\(model)` is not served on \(api.route) by this gateway.",
                param: "model")
        }
        var excluded: [String] = []
        var candidates: [RoutePlan.Candidate] = []
        for set in sets {
            var usable: [Target] = []
            for target in set.targets where target.serves.includes(api) {
                if let reason = target.unavailableReason {
                    excluded.append("target '\(target.id)': \(reason)")
                } else if let reason = policyExclusions[target.id] {
                    excluded.append("target '\(target.id)' \(reason)")
                } else if let unmet = target.dataPolicy.unmet(requirements) {
                    excluded.append("target '\(target.id)' does not meet the data requirements: \(unmet)")
                } else {
                    usable.append(target)
                }
            }
            // The cap applies per set: a group's fallback group is reached however many targets the group has.
            let limit = set.strategy == .single ? 1 : maxFallbackAttempts
            let ordered = order(usable, strategy: set.strategy, key: set.key, estimate: estimate, now: now).prefix(
                limit)
            candidates += ordered.map { .init(target: $0, upstreamModel: $0.model == model ? nil : $0.model) }
        }
        guard !candidates.isEmpty else { throw GatewayError.noTarget(excluded.joined(separator: "; ")) }
        return RoutePlan(candidates: candidates, strategy: sets[0].strategy)
    }

    /// Every target that may serve `model` (its group's members and fallback groups included), for
    /// policies that look at candidates before routing.
    package func candidateTargets(model: String) -> [Target] {
        var seen = Set<String>()
        return candidateSets(model: model).flatMap(\.targets).filter {
            $0.unavailableReason == nil && seen.insert($0.id).inserted
        }
    }

    /// The group the client named and its fallback groups, each with its strategy; or the targets of the
    /// model name. The key names the set for its balancer.
    private func candidateSets(model: String) -> [(key: String, targets: [Target], strategy: RoutingStrategy)] {
        guard let group = group(named: model) else {
            return [("model:" + model, targets.filter { $0.model == model || $0.id == model }, strategy)]
        }
        var sets: [(key: String, targets: [Target], strategy: RoutingStrategy)] = []
        var visited: Set<String> = []
        var current: ModelGroupConfig? = group
        while let g = current, visited.insert(g.name).inserted {
            let members = g.targets.compactMap { id in targets.first { $0.id == id } }
            sets.append(("group:" + g.name, members, g.strategy ?? strategy))
            current = g.fallbackGroup.flatMap { self.group(named: $0) }
        }
        return sets
    }

    private func group(named name: String) -> ModelGroupConfig? {
        groups.first { $0.name == name || $0.aliases.contains(name) }
    }

    /// One candidate set in the strategy's order. Targets that look unusable now (probe down, breaker open)
    /// go last, so they are tried only when every other one failed; when all look unusable, they are tried
    /// anyway in the strategy's order (panic routing: better to try than to fail without trying).
    private func order(
        _ usable: [Target], strategy: RoutingStrategy, key: String, estimate: RequestEstimate, now: UInt64
    ) -> [Target] {
        let healthy = usable.filter { $0.health.looksUsable(now: now) }
        let down = usable.filter { !$0.health.looksUsable(now: now) }
        let pool = healthy.isEmpty ? down : healthy
        let rest = healthy.isEmpty ? [] : down
        var ordered: [Target]
        switch strategy {
        case .single, .fallback:
            ordered = pool
        case .weightedRoundRobin:
            let balancer = balancers.withLock { all in
                if let existing = all[key] { return existing }
                let created = SmoothWeightedRoundRobin()
                all[key] = created
                return created
            }
            let byWeight = pool.sorted { $0.weight > $1.weight }
            if let picked = balancer.pick(pool.map { ($0.id, $0.weight) }),
                let first = pool.first(where: { $0.id == picked })
            {
                ordered = [first] + byWeight.filter { $0.id != picked }
            } else {
                ordered = byWeight
            }
        case .latency:
            ordered = pool.enumerated().sorted { a, b in
                let (sa, sb) = (a.element.health.latency.score(now: now), b.element.health.latency.score(now: now))
                return sa != sb ? sa < sb : a.offset < b.offset
            }.map(\.element)
            let pick = latencyPicks.wrappingAdd(1, ordering: .relaxed).newValue
            if ordered.count > 1 && pick % Self.explorationPeriod == 0 {
                let explored = 1 + (pick / Self.explorationPeriod) % (ordered.count - 1)
                ordered.swapAt(0, explored)
            }
        case .cost:
            ordered = pool.enumerated().sorted { a, b in
                let (ca, cb) = (estimate.cost(a.element), estimate.cost(b.element))
                switch (ca, cb) {
                case (let x?, let y?) where x != y: return x < y
                case (.some, nil): return true
                case (nil, .some): return false
                default: return a.offset < b.offset
                }
            }.map(\.element)
        }
        return ordered + rest
    }
}

/// The targets an exchange may try, in order, and the strategy that ordered them.
package struct RoutePlan: Sendable {
    package struct Candidate: Sendable {
        package let target: Target
        /// The model to put in the upstream body, when it differs from the client's (a group, an id alias).
        package let upstreamModel: String?
    }

    package var candidates: [Candidate]
    package var strategy: RoutingStrategy
}

/// What routing knows of a request before it is sent: for the `cost` strategy.
package struct RequestEstimate: Sendable {
    package var promptTokens = 0
    /// `max_tokens` / `max_completion_tokens` / `max_output_tokens`, or a default guess of the answer's size.
    package var completionTokens = 256

    package init(promptTokens: Int = 0, completionTokens: Int = 256) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    /// From the request: the prompt estimated from its size (about 4 bytes a token), the answer from its own
    /// token cap when it sets one.
    package init(document: JSONDocument, api: WireAPI) {
        promptTokens = document.bytes.count / 4
        let caps = ["max_completion_tokens", "max_tokens", "max_output_tokens"]
        if let cap = caps.lazy.compactMap({ document.root[$0]?.int }).first, cap > 0 { completionTokens = cap }
    }

    /// USD for this request on `target`, from its `pricing`; nil when the target has none.
    package func cost(_ target: Target) -> Double? {
        guard let pricing = target.pricing else { return nil }
        return (Double(promptTokens) * pricing.prompt + Double(completionTokens) * pricing.completion) / 1_000_000
    }
}
