import Testing

@testable import GatewayWire

@Suite struct WireContextLimitTests {
    // MARK: Token estimate

    /// The same strings and numbers as GOLDEN in bench/quality/token_estimate_eval.py: the Swift estimator and
    /// its Python reference must agree (the evaluation's figures are only valid for the Swift code if they do).
    @Test(arguments: [
        ("", 0, 0),
        ("hello world", 2, 2),
        ("Hello, World!", 6, 6),
        ("The quick brown fox jumps over the lazy dog.", 11, 11),
        ("internationalization", 4, 4),
        ("camelCaseIdentifier HTTPServer", 8, 8),
        ("call 0123456789 now", 7, 7),
        ("a  b   c\n\n\td", 8, 8),
        ("if (x == 1) { return y; }", 13, 13),
        ("café naïve", 5, 5),
        ("Привет, мир!", 7, 11),
        ("请描述一个包含格调的房间设计。", 17, 28),
        ("नमस्ते दुनिया", 14, 36),
        ("emoji 😀👍🏽", 10, 10),
        ("“quoted” — text…", 7, 7),
    ])
    func goldenEstimates(_ text: String, _ o200k: Int, _ cl100k: Int) {
        #expect(estimateTextTokens(text, vocabulary: .o200k) == o200k)
        #expect(estimateTextTokens(text, vocabulary: .cl100k) == cl100k)
    }

    /// Exact counts from tiktoken (o200k_base, cl100k_base): the estimate is never below them on these strings
    /// and stays within 3× (the non-Latin scripts are the loosest; docs/context-limits.md has the measured bound).
    @Test(arguments: [
        ("hello world", 2, 2),
        ("Hello, World!", 4, 4),
        ("The quick brown fox jumps over the lazy dog.", 10, 10),
        ("internationalization", 2, 2),
        ("camelCaseIdentifier HTTPServer", 5, 5),
        ("call 0123456789 now", 7, 7),
        ("if (x == 1) { return y; }", 12, 12),
        ("Привет, мир!", 5, 7),
        ("请描述一个包含格调的房间设计。", 11, 13),
        ("नमस्ते दुनिया", 5, 13),
        ("emoji 😀👍🏽", 5, 8),
    ])
    func estimateWithinBound(_ text: String, _ exactO200k: Int, _ exactCl100k: Int) {
        for (vocabulary, exact) in [(TokenVocabulary.o200k, exactO200k), (.cl100k, exactCl100k)] {
            let estimate = estimateTextTokens(text, vocabulary: vocabulary)
            #expect(estimate >= exact)
            #expect(estimate <= 3 * exact)
        }
    }

    @Test func estimateIsMonotonic() {
        let text = "Summarise: the 2024 report — 请总结 — says “revenue grew 12%”.\n\n  def f(x): return x**2 😀"
        for vocabulary in [TokenVocabulary.o200k, .cl100k] {
            var previous = 0
            var prefix = ""
            for character in text {
                prefix.append(character)
                let estimate = estimateTextTokens(prefix, vocabulary: vocabulary)
                #expect(estimate >= previous, "\(prefix)")
                previous = estimate
            }
            #expect(
                estimateTextTokens(text + text, vocabulary: vocabulary)
                    > estimateTextTokens(text, vocabulary: vocabulary))
        }
    }

    @Test func modelVocabulary() {
        #expect(TokenVocabulary.forModel("gpt-4") == .cl100k)
        #expect(TokenVocabulary.forModel("gpt-4-turbo") == .cl100k)
        #expect(TokenVocabulary.forModel("openai/gpt-3.5-turbo") == .cl100k)
        #expect(TokenVocabulary.forModel("gpt-4o-mini") == .o200k)
        #expect(TokenVocabulary.forModel("gpt-4.1") == .o200k)
        #expect(TokenVocabulary.forModel("o3") == .o200k)
        #expect(TokenVocabulary.forModel("llama-3.1-70b") == .o200k)
    }

    @Test func promptEstimateCountsMessagesToolsAndMedia() throws {
        let base = try doc(
            #"{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi there"}]}"#)
        let expected = 3 + (3 + est("system") + est("Be brief.")) + (3 + est("user") + est("Hi there"))
        #expect(estimatePromptTokens(base, api: .chatCompletions) == expected)
        // Escapes are decoded before counting; keys, "type" and "id" values are not counted.
        let escaped = try doc(#"{"messages":[{"role":"user","content":[{"type":"text","text":"\u0048i there"}]}]}"#)
        #expect(estimatePromptTokens(escaped, api: .chatCompletions) == 3 + 3 + est("user") + est("Hi there"))
        let image = try doc(
            #"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA","detail":"low"}}]}]}"#
        )
        #expect(estimatePromptTokens(image, api: .chatCompletions) == 3 + 3 + est("user") + 85)
        let tools = try doc(
            #"{"messages":[{"role":"user","content":"Hi there"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}"#
        )
        #expect(estimatePromptTokens(tools, api: .chatCompletions) > 3 + 3 + est("user") + est("Hi there") + 5)
        let responses = try doc(#"{"model":"m","instructions":"Be brief.","input":"Hi there"}"#)
        #expect(
            estimatePromptTokens(responses, api: .responses)
                == 3 + (3 + est("system") + est("Be brief.")) + (3 + est("user") + est("Hi there")))
    }

    // MARK: max_messages

    @Test func maxMessagesKeepsSystemDeveloperAndRecent() throws {
        let body = chat([
            msg("system", "S"), msg("user", "u1"), msg("assistant", "a1"), msg("user", "u2"), msg("assistant", "a2"),
            msg("developer", "D"), msg("user", "u3"),
        ])
        let outcome = applyContextLimits(try doc(body), api: .chatCompletions, limits: ContextLimits(maxMessages: 4))
        let kept = try trimmedContents(outcome, dropped: 3)
        #expect(kept == ["S", "a2", "D", "u3"])
        // Within the limit: untouched. No limits at all: untouched.
        #expect(applyContextLimits(try doc(body), api: .chatCompletions, limits: .init(maxMessages: 7)) == .unchanged)
        #expect(applyContextLimits(try doc(body), api: .chatCompletions, limits: .init()) == .unchanged)
    }

    @Test func toolCallAndResultsDroppedOrKeptTogether() throws {
        let call =
            #"{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"c2","type":"function","function":{"name":"g","arguments":"{}"}}]}"#
        let body = chat([
            msg("system", "S"), msg("user", "u1"), call, tool("c1", "r1"), tool("c2", "r2"), msg("assistant", "a1"),
            msg("user", "u2"),
        ])
        // Dropping one message more than u1 drops the call with both results.
        let five = applyContextLimits(try doc(body), api: .chatCompletions, limits: ContextLimits(maxMessages: 5))
        #expect(try trimmedContents(five, dropped: 4) == ["S", "a1", "u2"])
        let six = applyContextLimits(try doc(body), api: .chatCompletions, limits: ContextLimits(maxMessages: 6))
        #expect(try trimmedContents(six, dropped: 1) == ["S", "", "r1", "r2", "a1", "u2"])
        // A result found by its id even when it is not right after the call.
        let apart = chat([
            msg("user", "u1"), call, tool("c1", "r1"), msg("user", "u2"), tool("c2", "r2"), msg("user", "u3"),
        ])
        let outcome = applyContextLimits(try doc(apart), api: .chatCompletions, limits: ContextLimits(maxMessages: 3))
        #expect(try trimmedContents(outcome, dropped: 4) == ["u2", "u3"])
    }

    @Test func lastUserMessageIsNeverDropped() throws {
        let long = String(repeating: "lorem ipsum dolor sit amet ", count: 40)
        let body = chat([
            msg("system", "S"), msg("user", "u1"), msg("assistant", "a1"), msg("user", long), msg("assistant", "a2"),
        ])
        let zero = applyContextLimits(try doc(body), api: .chatCompletions, limits: ContextLimits(maxMessages: 0))
        #expect(try trimmedContents(zero, dropped: 3) == ["S", long])
        // The minimum prompt (system + last user) fits the window but not the trigger: trimmed, still sent.
        let minimum = estimatePromptTokens(
            try doc(chat([msg("system", "S"), msg("user", long)])), api: .chatCompletions)
        let fits = applyContextLimits(
            try doc(body), api: .chatCompletions, limits: ContextLimits(maxContextTokens: minimum, triggerRatio: 0.5))
        #expect(try trimmedContents(fits, dropped: 3) == ["S", long])
        if case .trimmed(_, _, let tokens) = fits { #expect(tokens == minimum) }
        // One token less: too long, whatever is dropped.
        let full = estimatePromptTokens(try doc(body), api: .chatCompletions)
        let tooLong = applyContextLimits(
            try doc(body), api: .chatCompletions, limits: ContextLimits(maxContextTokens: minimum - 1))
        #expect(tooLong == .tooLong(estimatedTokens: full, limit: minimum - 1))
    }

    @Test func tokenTriggerDropsOldestFirst() throws {
        let body = chat([
            msg("system", "S"), msg("user", "first question"), msg("assistant", "first answer"),
            msg("user", "second question"),
        ])
        let full = estimatePromptTokens(try doc(body), api: .chatCompletions)
        // Under the trigger: unchanged.
        let roomy = ContextLimits(maxContextTokens: full * 2)
        #expect(applyContextLimits(try doc(body), api: .chatCompletions, limits: roomy) == .unchanged)
        // Just over the trigger (limit = full, ratio 0.9): the oldest turn goes first, and only as much as needed.
        let tight = applyContextLimits(
            try doc(body), api: .chatCompletions, limits: ContextLimits(maxContextTokens: full))
        let kept = try trimmedContents(tight, dropped: 1)
        #expect(kept == ["S", "first answer", "second question"])
        if case .trimmed(let newBody, _, let tokens) = tight {
            #expect(tokens == estimatePromptTokens(try JSONDocument(parsing: newBody), api: .chatCompletions))
            #expect(tokens <= ContextLimits(maxContextTokens: full).triggerTokens!)
        }
    }

    @Test func trimmedBodyKeepsEveryByteOutsideTheArray() throws {
        let text = """
            { "model" : "gpt-4o", "x_first": [1.50, 2E3, "\\u00e9"],
              "messages" :  [
                {"role": "system",   "content": "S"} ,
                {"role":"user","content":"old \\"quoted\\" text"},
                {"role":"assistant","content":"a1"},
                  {"role" : "user", "content": [{"type":"text", "text": "now 😀"}]}
              ]  , "stream": true, "x_last": {"keep": null} }
            """
        let source = Array(text.utf8)
        let document = try JSONDocument(parsing: source)
        let outcome = applyContextLimits(document, api: .chatCompletions, limits: ContextLimits(maxMessages: 2))
        guard case .trimmed(let newBody, let dropped, _) = outcome else {
            Issue.record("expected .trimmed, got \(outcome)")
            return
        }
        #expect(dropped == 2)
        let array = document.root["messages"]!.byteRange
        #expect(Array(newBody[..<array.lowerBound]) == Array(source[..<array.lowerBound]))
        let suffix = source[array.upperBound...]
        #expect(Array(newBody[(newBody.count - suffix.count)...]) == Array(suffix))
        let reparsed = try JSONDocument(parsing: newBody)
        let items = Array(reparsed.root["messages"]!.items)
        let original = Array(document.root["messages"]!.items)
        #expect(items.map { Array($0.rawBytes) } == [original[0], original[3]].map { Array($0.rawBytes) })
        #expect(reparsed.root["x_last"]?["keep"]?.isNull == true)
        #expect(reparsed.root["stream"]?.bool == true)
    }

    // MARK: Responses

    @Test func responsesInputArrays() throws {
        let body = """
            {"model":"m","instructions":"Be brief.","input":[
            {"role":"user","content":"u1"},
            {"type":"reasoning","id":"rs_1","summary":[]},
            {"type":"function_call","call_id":"call_1","name":"f","arguments":"{}"},
            {"type":"message","role":"assistant","content":[{"type":"output_text","text":"a1"}]},
            {"type":"function_call_output","call_id":"call_1","output":"r1"},
            {"role":"developer","content":"D"},
            {"role":"user","content":[{"type":"input_text","text":"u2"}]}]}
            """
        let document = try doc(body)
        // 7 items, at most 4: u1 goes, then reasoning + call + its output together (a1 stays).
        let outcome = applyContextLimits(document, api: .responses, limits: ContextLimits(maxMessages: 4))
        guard case .trimmed(let newBody, let dropped, let tokens) = outcome else {
            Issue.record("expected .trimmed, got \(outcome)")
            return
        }
        #expect(dropped == 4)
        let reparsed = try JSONDocument(parsing: newBody)
        let kept = reparsed.root["input"]!.items.map { $0["content"]?.string ?? $0["content"]?[0]?["text"]?.string }
        #expect(kept == ["a1", "D", "u2"])
        #expect(tokens == estimatePromptTokens(reparsed, api: .responses))
        #expect(reparsed.root["instructions"]?.string == "Be brief.")
    }

    @Test func responsesStringInputIsOnlyCounted() throws {
        let document = try doc(#"{"model":"m","input":"\#(String(repeating: "word ", count: 50))"}"#)
        let tokens = estimatePromptTokens(document, api: .responses)
        #expect(tokens > 50)
        let small = ContextLimits(maxMessages: 1, maxContextTokens: tokens - 1)
        #expect(
            applyContextLimits(document, api: .responses, limits: small)
                == .tooLong(estimatedTokens: tokens, limit: tokens - 1))
        let large = ContextLimits(maxMessages: 1, maxContextTokens: tokens)
        #expect(applyContextLimits(document, api: .responses, limits: large) == .unchanged)
    }

    @Test func triggerRatioDefaultsAndBounds() {
        #expect(ContextLimits().triggerRatio == 0.9)
        #expect(ContextLimits(maxContextTokens: 1000).triggerTokens == 900)
        #expect(ContextLimits(maxContextTokens: 1000, triggerRatio: 1.5).triggerTokens == 1000)
        #expect(ContextLimits(maxContextTokens: 1000, triggerRatio: -1).triggerTokens == 1000)
        #expect(ContextLimits(maxMessages: 3).triggerTokens == nil)
    }

    // MARK: Helpers

    private func doc(_ text: String) throws -> JSONDocument { try JSONDocument(parsing: text) }

    private func est(_ text: String) -> Int { estimateTextTokens(text) }

    private func msg(_ role: String, _ content: String) -> String {
        #"{"role":"\#(role)","content":"\#(content)"}"#
    }

    private func tool(_ id: String, _ content: String) -> String {
        #"{"role":"tool","tool_call_id":"\#(id)","content":"\#(content)"}"#
    }

    private func chat(_ messages: [String]) -> String {
        #"{"model":"gpt-4o","messages":[\#(messages.joined(separator: ","))],"temperature":0.2}"#
    }

    /// The `content` strings of the trimmed body's messages ("" when not a string); checks the dropped count and
    /// that the body parses.
    private func trimmedContents(_ outcome: ContextLimitOutcome, dropped expected: Int) throws -> [String] {
        guard case .trimmed(let newBody, let dropped, _) = outcome else {
            Issue.record("expected .trimmed, got \(outcome)")
            return []
        }
        #expect(dropped == expected)
        let reparsed = try JSONDocument(parsing: newBody)
        #expect(reparsed.root["temperature"]?.double == 0.2)
        return reparsed.root["messages"]!.items.map { $0["content"]?.string ?? "" }
    }
}
