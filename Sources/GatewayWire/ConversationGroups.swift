/// The items of a conversation array partitioned into groups that are dropped or kept whole, with the pinned
/// ones set apart (rules: ``applyContextLimits(_:api:limits:)``).
struct ConversationGroups {
    /// The groups that may be dropped, oldest first (ordered by their first item); item indices ascending.
    private(set) var droppable: [[Int]] = []

    init(items: [JSONValue], api: WireAPI) {
        var sets = DisjointSets(count: items.count)
        var pinned = [Bool](repeating: false, count: items.count)
        var lastUser: Int?
        for (index, item) in items.enumerated() {
            guard let role = item["role"], item["type"].map({ $0.stringEquals("message") }) ?? true else { continue }
            if role.stringEquals("system") || role.stringEquals("developer") { pinned[index] = true }
            if role.stringEquals("user") { lastUser = index }
        }
        if let pin = lastUser ?? (items.isEmpty ? nil : items.count - 1) { pinned[pin] = true }

        switch api {
        case .chatCompletions: Self.groupChatToolCalls(items, into: &sets)
        case .responses: Self.groupResponsesCalls(items, into: &sets)
        case .embeddings: break  // independent inputs: no calls to keep together
        }

        var groupPinned = [Bool](repeating: false, count: items.count)
        for index in items.indices where pinned[index] { groupPinned[sets.find(index)] = true }
        var position = [Int: Int]()
        for index in items.indices {
            let root = sets.find(index)
            guard !groupPinned[root] else { continue }
            if let existing = position[root] {
                droppable[existing].append(index)
            } else {
                position[root] = droppable.count
                droppable.append([index])
            }
        }
    }

    /// An assistant message's `tool_calls` ids with the `tool` messages answering them (`tool_call_id`); a
    /// legacy `function_call` with the `function` messages right after it.
    private static func groupChatToolCalls(_ items: [JSONValue], into sets: inout DisjointSets) {
        var callOwner = [String: Int]()
        var functionCaller: Int?
        for (index, item) in items.enumerated() {
            guard item.kind == .object else {
                functionCaller = nil
                continue
            }
            let role = item["role"]
            if let calls = item["tool_calls"], calls.kind == .array {
                for call in calls.items {
                    if let id = call["id"]?.string { callOwner[id] = index }
                }
            }
            if role?.stringEquals("tool") == true, let id = item["tool_call_id"]?.string, let owner = callOwner[id] {
                sets.union(owner, index)
            }
            if role?.stringEquals("function") == true, let caller = functionCaller {
                sets.union(caller, index)
            } else if let call = item["function_call"], call.kind == .object {
                functionCaller = index
            } else {
                functionCaller = nil
            }
        }
    }

    /// Items sharing a `call_id`; a `reasoning` item with the item that follows it.
    private static func groupResponsesCalls(_ items: [JSONValue], into sets: inout DisjointSets) {
        var callOwner = [String: Int]()
        for (index, item) in items.enumerated() where item.kind == .object {
            if let id = item["call_id"]?.string {
                if let owner = callOwner[id] { sets.union(owner, index) } else { callOwner[id] = index }
            }
            if item["type"]?.stringEquals("reasoning") == true, index + 1 < items.count {
                sets.union(index, index + 1)
            }
        }
    }
}

/// Union-find over item indices.
struct DisjointSets {
    private var parent: [Int]

    init(count: Int) {
        parent = Array(0..<count)
    }

    mutating func find(_ index: Int) -> Int {
        var root = index
        while parent[root] != root { root = parent[root] }
        var current = index
        while parent[current] != root {
            let next = parent[current]
            parent[current] = root
            current = next
        }
        return root
    }

    mutating func union(_ first: Int, _ second: Int) {
        let a = find(first)
        let b = find(second)
        if a != b { parent[max(a, b)] = min(a, b) }
    }
}
