/// A target's context limits (docs/context-limits.md).
package struct ContextLimits: Sendable, Equatable {
    /// At most this many messages (chat `messages` / Responses `input` items, pinned ones included) are sent.
    package var maxMessages: Int?
    /// The target's context window in tokens.
    package var maxContextTokens: Int?
    /// Trimming starts when the estimate exceeds `maxContextTokens × triggerRatio` and drops turns until it no
    /// longer does. Values outside (0, 1] act as 1.
    package var triggerRatio: Double
    /// The vocabulary the token estimate is calibrated for (``TokenVocabulary/forModel(_:)``).
    package var vocabulary: TokenVocabulary

    package init(
        maxMessages: Int? = nil, maxContextTokens: Int? = nil, triggerRatio: Double = 0.9,
        vocabulary: TokenVocabulary = .o200k
    ) {
        self.maxMessages = maxMessages
        self.maxContextTokens = maxContextTokens
        self.triggerRatio = triggerRatio
        self.vocabulary = vocabulary
    }

    /// The estimate above which turns are dropped.
    package var triggerTokens: Int? {
        guard let maxContextTokens else { return nil }
        let ratio = triggerRatio.isFinite && triggerRatio > 0 && triggerRatio < 1 ? triggerRatio : 1
        return Int((Double(maxContextTokens) * ratio).rounded(.down))
    }
}

/// What ``applyContextLimits(_:api:limits:)`` decided.
package enum ContextLimitOutcome: Sendable, Equatable {
    /// Within the limits (or nothing could be dropped and the prompt still fits the window): send the body as is.
    case unchanged
    /// Send `newBody`: the original bytes with `droppedMessages` items removed from the conversation array.
    /// `estimatedTokens` is the estimate of `newBody`.
    case trimmed(newBody: [UInt8], droppedMessages: Int, estimatedTokens: Int)
    /// Even with every droppable message dropped the estimate exceeds `limit`: answer 400
    /// `context_length_exceeded` (or try a target with a larger window). `estimatedTokens` is the estimate of the
    /// request as received.
    case tooLong(estimatedTokens: Int, limit: Int)
}

/// Applies `limits` to a chat (`messages`) or Responses (`input` array) request without re-serialising it.
///
/// Pinned (never dropped): system and developer messages, the last user message (the last item when there is
/// none), and any group holding one of them. Groups dropped or kept whole: a chat assistant message with
/// `tool_calls` and the `tool` messages answering its call ids (and a legacy `function_call` with the `function`
/// messages right after it); Responses items sharing a `call_id` (`function_call` / `function_call_output`, and
/// the other `*_call` / `*_call_output` pairs), a `reasoning` item with the item after it. Everything else is
/// dropped oldest group first: first while more than `maxMessages` messages are left, then while the token
/// estimate exceeds the trigger. If the estimate then still exceeds `maxContextTokens`: `.tooLong`.
///
/// A string Responses `input` (or a body without a conversation array) can only be counted: `.tooLong` or
/// `.unchanged`.
package func applyContextLimits(_ document: JSONDocument, api: WireAPI, limits: ContextLimits)
    -> ContextLimitOutcome
{
    guard limits.maxMessages != nil || limits.maxContextTokens != nil else { return .unchanged }
    let root = document.root
    guard root.kind == .object else { return .unchanged }
    let counter = PromptTokenCounter(vocabulary: limits.vocabulary)
    let fixed = counter.fixedCost(root, api: api)
    guard let conversation = PromptTokenCounter.conversation(root, api: api) else {
        if let limit = limits.maxContextTokens, fixed > limit { return .tooLong(estimatedTokens: fixed, limit: limit) }
        return .unchanged
    }
    let items = Array(conversation.items)
    let costs = items.map(counter.itemCost)
    let total = fixed + costs.reduce(0, +)
    let groups = ConversationGroups(items: items, api: api)

    var kept = [Bool](repeating: true, count: items.count)
    var keptCount = items.count
    var estimate = total
    var nextGroup = 0
    func dropNextGroup() {
        for index in groups.droppable[nextGroup] {
            kept[index] = false
            keptCount -= 1
            estimate -= costs[index]
        }
        nextGroup += 1
    }
    if let maxMessages = limits.maxMessages {
        while keptCount > maxMessages && nextGroup < groups.droppable.count { dropNextGroup() }
    }
    if let limit = limits.maxContextTokens, let trigger = limits.triggerTokens {
        while estimate > trigger && nextGroup < groups.droppable.count { dropNextGroup() }
        if estimate > limit { return .tooLong(estimatedTokens: total, limit: limit) }
    }
    guard keptCount < items.count else { return .unchanged }
    let body = spliceArrayItems(document.bytes, array: conversation, items: items, kept: kept)
    return .trimmed(newBody: body, droppedMessages: items.count - keptCount, estimatedTokens: estimate)
}

/// `source` with the array `array` rewritten to hold only the items whose `kept` flag is set. Every byte is
/// copied from the source: the kept items, the whitespace after `[` and before `]`, and for each kept item after
/// the first the separator (comma and whitespace) that preceded it. Every byte outside the array is unchanged.
package func spliceArrayItems(_ source: [UInt8], array: JSONValue, items: [JSONValue], kept: [Bool]) -> [UInt8] {
    let arrayRange = array.byteRange
    let ranges = items.map(\.byteRange)
    var output: [UInt8] = []
    output.reserveCapacity(source.count)
    output.append(contentsOf: source[..<(arrayRange.lowerBound + 1)])  // up to and including "["
    var first = true
    for (index, range) in ranges.enumerated() where kept[index] {
        if first {
            output.append(contentsOf: source[(arrayRange.lowerBound + 1)..<ranges[0].lowerBound])
            first = false
        } else {
            output.append(contentsOf: source[ranges[index - 1].upperBound..<range.lowerBound])
        }
        output.append(contentsOf: source[range])
    }
    if let last = ranges.last {
        output.append(contentsOf: source[last.upperBound..<(arrayRange.upperBound - 1)])
    }
    output.append(contentsOf: source[(arrayRange.upperBound - 1)...])  // "]" and everything after the array
    return output
}
