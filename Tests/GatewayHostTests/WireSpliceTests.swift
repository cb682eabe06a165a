import Testing

@testable import GatewayCore
@testable import GatewayWire

@Suite struct WireSpliceTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("say \"hi\"", #"say \"hi\""#),
        ("back\\slash", #"back\\slash"#),
        ("line1\nline2\r\n\ttab", #"line1\nline2\r\n\ttab"#),
        ("\u{08}\u{0C}", #"\b\f"#),
        ("\u{0}\u{1}\u{1F}", #"\u0000\u0001\u001f"#),
        ("emoji 😀 café 日本", "emoji 😀 café 日本"),
        ("js\u{2028}breaks\u{2029}", #"js\u2028breaks\u2029"#),
        ("slash / and DEL \u{7F}", "slash / and DEL \u{7F}"),
        ("", ""),
    ])
    func escapes(_ text: String, _ expected: String) throws {
        #expect(jsonEscaped(text) == expected)
        #expect(jsonQuoted(text) == "\"" + expected + "\"")
        var appended: [UInt8] = [UInt8(ascii: "x")]
        appendJSONQuoted(text, to: &appended)
        #expect(appended == [UInt8(ascii: "x")] + Array(jsonQuoted(text).utf8))
        // Whatever the escaping, the parser reads the original text back.
        #expect(try JSONDocument(parsing: jsonQuoted(text)).root.string == text)
    }

    @Test func spliceKeepsEveryOtherByte() throws {
        let source = Array(
            #"""
            {"model": "gpt-4o",  "x_custom":{"keep": [1.50, 2E3, "\u00e9"]},
              "messages": [{"role":"user", "content" : "my email is a@b.c"}], "zzz": true }
            """#.utf8)
        let doc = try JSONDocument(parsing: source)
        let found = segments(of: doc, phase: .request(.chatCompletions))
        #expect(found.count == 1)
        let range = found[0].valueRange
        let output = splice(source: source, replacements: [(range: range, newText: "my email is [EMAIL]\n\"ok\"")])
        #expect(Array(output[..<range.lowerBound]) == Array(source[..<range.lowerBound]))
        let newLiteral = Array(#""my email is [EMAIL]\n\"ok\"""#.utf8)
        #expect(Array(output[range.lowerBound..<(range.lowerBound + newLiteral.count)]) == newLiteral)
        #expect(Array(output[(range.lowerBound + newLiteral.count)...]) == Array(source[range.upperBound...]))
        let reparsed = try JSONDocument(parsing: output)
        #expect(
            segments(of: reparsed, phase: .request(.chatCompletions)).map(\.text) == ["my email is [EMAIL]\n\"ok\""])
    }

    @Test func spliceManyRangesInAnyOrder() throws {
        let text =
            #"{"messages":[{"role":"system","content":"one"},{"role":"user","content":[{"type":"text","text":"two"},{"type":"text","text":"three"}]}]}"#
        let source = Array(text.utf8)
        let doc = try JSONDocument(parsing: source)
        let found = segments(of: doc, phase: .request(.chatCompletions))
        #expect(found.map(\.text) == ["one", "two", "three"])
        let replacements = found.reversed().map { (range: $0.valueRange, newText: $0.text.uppercased() + " \u{1}😀") }
        let output = splice(source: source, replacements: Array(replacements))
        let expected = text.replacing(#""one""#, with: #""ONE \u0001😀""#)
            .replacing(#""two""#, with: #""TWO \u0001😀""#)
            .replacing(#""three""#, with: #""THREE \u0001😀""#)
        #expect(String(decoding: output, as: UTF8.self) == expected)
        let reparsed = try JSONDocument(parsing: output)
        #expect(
            segments(of: reparsed, phase: .request(.chatCompletions)).map(\.text) == [
                "ONE \u{1}😀", "TWO \u{1}😀", "THREE \u{1}😀",
            ])
    }

    @Test func spliceWithoutReplacementsReturnsTheSource() {
        let source = Array(#"{"a" : "b"}"#.utf8)
        #expect(splice(source: source, replacements: []) == source)
    }

    @Test func spliceAdjacentRangesAndEdges() {
        let source = Array(#"["a","b"]"#.utf8)
        let output = splice(source: source, replacements: [(range: 5..<8, newText: "B"), (range: 1..<4, newText: "")])
        #expect(String(decoding: output, as: UTF8.self) == #"["","B"]"#)
    }

    @Test func rewriteModelReplacesTheModelLiteral() throws {
        let source = Array(#"{ "model" : "alias-fast", "messages":[], "extra":{"model":"nested"} }"#.utf8)
        let doc = try JSONDocument(parsing: source)
        let output = rewriteModel(source: source, doc: doc, to: "gpt-4o-mini-2024-07-18")
        #expect(
            String(decoding: output, as: UTF8.self)
                == #"{ "model" : "gpt-4o-mini-2024-07-18", "messages":[], "extra":{"model":"nested"} }"#)
    }

    @Test func rewriteModelTargetsTheLastDuplicate() throws {
        let source = Array(#"{"model":"a","model":"b"}"#.utf8)
        let output = rewriteModel(source: source, doc: try JSONDocument(parsing: source), to: "c\"d")
        #expect(String(decoding: output, as: UTF8.self) == #"{"model":"a","model":"c\"d"}"#)
        #expect(try JSONDocument(parsing: output).root["model"]?.string == "c\"d")
    }

    @Test func rewriteModelInsertsWhenMissing() throws {
        let withMembers = Array(#"{"input":"hi"}"#.utf8)
        #expect(
            String(
                decoding: rewriteModel(source: withMembers, doc: try JSONDocument(parsing: withMembers), to: "m"),
                as: UTF8.self) == #"{"model":"m","input":"hi"}"#)
        let empty = Array(" { } ".utf8)
        #expect(
            String(decoding: rewriteModel(source: empty, doc: try JSONDocument(parsing: empty), to: "m"), as: UTF8.self)
                == #" {"model":"m" } "#)
        let notObject = Array("[1]".utf8)
        #expect(rewriteModel(source: notObject, doc: try JSONDocument(parsing: notObject), to: "m") == notObject)
    }
}
