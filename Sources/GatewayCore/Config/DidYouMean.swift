import GatewayWire

/// "Did you mean …?" suggestions for misspelt keys and enum values.
package enum DidYouMean {
    /// The candidate the user most likely meant: the closest within edit distance 2 (ignoring case), else one
    /// that `input` is a prefix of (or that is a prefix of `input`). Ties go to the earlier candidate, so list
    /// candidates in the order the reference documents them.
    package static func closest(to input: String, among candidates: [String]) -> String? {
        let typed = Array(input.lowercased())
        guard !typed.isEmpty else { return nil }
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(typed, Array(candidate.lowercased()))
            // A distance as large as the input itself means "nothing in common" (e.g. 'ab' vs 'id').
            guard distance <= 2, distance < typed.count, distance < (best?.distance ?? .max) else { continue }
            best = (candidate, distance)
        }
        if let best { return best.candidate }
        // Prefixes only count from 3 characters on; 'a' is a prefix of too many things to mean anything.
        guard typed.count >= 3 else { return nil }
        let lowered = input.lowercased()
        return candidates.first { candidate in
            let other = candidate.lowercased()
            return other.hasPrefix(lowered) || (other.count >= 3 && lowered.hasPrefix(other))
        }
    }

    /// Optimal string alignment distance: Levenshtein plus adjacent transpositions, which are the commonest typo.
    package static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previousPrevious[j - 2] + 1)
                }
            }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[b.count]
    }
}
