import Testing

@testable import GatewayCore
@testable import GatewayWire

/// One input the strict parser must reject, with the error it must report.
struct RejectCase: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: [UInt8]
    let offset: Int
    let message: String

    init(_ name: String, _ text: String, offset: Int, _ message: String) {
        self.init(name, Array(text.utf8), offset: offset, message)
    }

    init(_ name: String, _ bytes: [UInt8], offset: Int, _ message: String) {
        self.name = name
        self.bytes = bytes
        self.offset = offset
        self.message = message
    }

    var testDescription: String { name }
}

/// One input the parser must accept, with the root kind and (for scalars) its reading.
struct AcceptCase: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: [UInt8]
    let kind: JSONKind
    let string: String?

    init(_ name: String, _ text: String, _ kind: JSONKind, string: String? = nil) {
        self.init(name, Array(text.utf8), kind, string: string)
    }

    init(_ name: String, _ bytes: [UInt8], _ kind: JSONKind, string: String? = nil) {
        self.name = name
        self.bytes = bytes
        self.kind = kind
        self.string = string
    }

    var testDescription: String { name }
}

private let quote = UInt8(ascii: "\"")

let rejectCases: [RejectCase] = [
    RejectCase("empty input", "", offset: 0, "unexpected end of input at byte 0"),
    RejectCase("only whitespace", " \n ", offset: 3, "unexpected end of input at byte 3"),
    RejectCase("trailing comma in array", "[1,2,]", offset: 5, "unexpected character ']' at byte 5"),
    RejectCase("trailing comma in object", #"{"a":1,}"#, offset: 7, "unexpected character '}' at byte 7"),
    RejectCase("line comment", "// c\n1", offset: 0, "unexpected character '/' at byte 0"),
    RejectCase("block comment", "[1 /* c */]", offset: 3, "unexpected character '/' at byte 3"),
    RejectCase("NaN", "NaN", offset: 0, "unexpected character 'N' at byte 0"),
    RejectCase("Infinity", "[Infinity]", offset: 1, "unexpected character 'I' at byte 1"),
    RejectCase("-Infinity", "-Infinity", offset: 1, "unexpected character 'I' at byte 1, expected a digit"),
    RejectCase("leading zero", "01", offset: 0, "leading zero in number at byte 0"),
    RejectCase("negative leading zero", "[-012]", offset: 1, "leading zero in number at byte 1"),
    RejectCase("plus sign", "+1", offset: 0, "unexpected character '+' at byte 0"),
    RejectCase("leading dot", ".5", offset: 0, "unexpected character '.' at byte 0"),
    RejectCase(
        "trailing dot", "1.", offset: 2, "unexpected end of input at byte 2, expected a digit after the decimal point"),
    RejectCase(
        "empty exponent", "1e+]", offset: 3, "unexpected character ']' at byte 3, expected a digit in the exponent"),
    RejectCase("lone minus", "-", offset: 1, "unexpected end of input at byte 1, expected a digit"),
    RejectCase("lone high surrogate", #""\uD800""#, offset: 1, #"lone surrogate in \u escape at byte 1"#),
    RejectCase("lone low surrogate", #""ab\uDC00""#, offset: 3, #"lone surrogate in \u escape at byte 3"#),
    RejectCase(
        "high surrogate then BMP escape", #""\ud83d\u0041""#, offset: 1, #"lone surrogate in \u escape at byte 1"#),
    RejectCase("high surrogate then text", #""\ud83dxxxxxx""#, offset: 1, #"lone surrogate in \u escape at byte 1"#),
    RejectCase("bad hex in \\u", #""\u12G4""#, offset: 1, #"invalid \u escape at byte 1"#),
    RejectCase("truncated \\u", #""\u12"#, offset: 1, #"invalid \u escape at byte 1"#),
    RejectCase("unknown escape", #""a\x""#, offset: 2, "invalid escape character 'x' at byte 2"),
    RejectCase(
        "invalid UTF-8 continuation", [quote, 0xC3, 0x28, quote], offset: 1, "invalid UTF-8 in string at byte 1"),
    RejectCase("overlong UTF-8", [quote, 0x41, 0xC0, 0xAF, quote], offset: 2, "invalid UTF-8 in string at byte 2"),
    RejectCase(
        "UTF-8 encoded surrogate", [quote, 0xED, 0xA0, 0x80, quote], offset: 1, "invalid UTF-8 in string at byte 1"),
    RejectCase(
        "UTF-8 beyond U+10FFFF", [quote, 0xF4, 0x90, 0x80, 0x80, quote], offset: 1, "invalid UTF-8 in string at byte 1"),
    RejectCase("truncated UTF-8 sequence", [quote, 0xE2, 0x82, quote], offset: 1, "invalid UTF-8 in string at byte 1"),
    RejectCase("lone continuation byte", [quote, 0x80, quote], offset: 1, "invalid UTF-8 in string at byte 1"),
    RejectCase("raw newline in string", "\"a\nb\"", offset: 2, "control character 0x0A in string at byte 2"),
    RejectCase("raw tab in string", "[\"\t\"]", offset: 2, "control character 0x09 in string at byte 2"),
    RejectCase("NUL in string", [quote, 0x00, quote], offset: 1, "control character 0x00 in string at byte 1"),
    RejectCase("unterminated string", #"{"abc"#, offset: 1, "unterminated string starting at byte 1"),
    RejectCase(
        "trailing garbage", "{} x", offset: 3, "unexpected character 'x' at byte 3 after the end of the JSON value"),
    RejectCase(
        "two documents", "[1] [2]", offset: 4, "unexpected character '[' at byte 4 after the end of the JSON value"),
    RejectCase("missing colon", #"{"a" 1}"#, offset: 5, "unexpected character '1' at byte 5"),
    RejectCase("unquoted key", "{a:1}", offset: 1, "unexpected character 'a' at byte 1"),
    RejectCase("single quotes", "['a']", offset: 1, "unexpected character ''' at byte 1"),
    RejectCase("missing comma", "[1 2]", offset: 3, "unexpected character '2' at byte 3"),
    RejectCase("missing value", #"{"a":}"#, offset: 5, "unexpected character '}' at byte 5"),
    RejectCase("unclosed array", "[1,", offset: 3, "unexpected end of input at byte 3"),
    RejectCase("truncated literal", "tru", offset: 3, "unexpected end of input at byte 3"),
    RejectCase("capitalised literal", "True", offset: 0, "unexpected character 'T' at byte 0"),
    RejectCase("misspelt literal", "nul1", offset: 3, "unexpected character '1' at byte 3"),
    RejectCase("byte order mark", [0xEF, 0xBB, 0xBF, 0x7B, 0x7D], offset: 0, "unexpected byte 0xEF at byte 0"),
    RejectCase("vertical tab is not whitespace", "\u{0B}1", offset: 0, "unexpected byte 0x0B at byte 0"),
    RejectCase(
        "nesting 129 deep", String(repeating: "[", count: 129) + String(repeating: "]", count: 129), offset: 128,
        "nesting deeper than 128 at byte 128"),
    RejectCase(
        "deep object nesting", String(repeating: #"{"a":"#, count: 200), offset: 640,
        "nesting deeper than 128 at byte 640"),
]

let acceptCases: [AcceptCase] = [
    AcceptCase("empty object", "{}", .object),
    AcceptCase("empty array", "[]", .array),
    AcceptCase("zero", "0", .number),
    AcceptCase("negative zero", "-0", .number),
    AcceptCase("fraction and exponent", "-1.25e+10", .number),
    AcceptCase("capital exponent", "1E-2", .number),
    AcceptCase("big integer", "123456789012345678901234567890", .number),
    AcceptCase("huge exponent", "1e400", .number),
    AcceptCase("true", "true", .bool),
    AcceptCase("false", " false ", .bool),
    AcceptCase("null", "null", .null),
    AcceptCase("all whitespace kinds", " \t\r\n[ 1 ,\t2 ]\r\n", .array),
    AcceptCase("nested containers", #"{"a":{"b":[null,{"c":[]}]},"d":"e"}"#, .object),
    AcceptCase("empty string", #""""#, .string, string: ""),
    AcceptCase("short escapes", #""\"\\\/\b\f\n\r\t""#, .string, string: "\"\\/\u{08}\u{0C}\n\r\t"),
    AcceptCase("BMP \\u escape", #""caf\u00e9 \u00E9""#, .string, string: "café é"),
    AcceptCase("surrogate pair", #""\ud83d\ude00!""#, .string, string: "😀!"),
    AcceptCase("escaped NUL", #""a\u0000b""#, .string, string: "a\u{0}b"),
    AcceptCase("raw emoji and CJK", "\"日本語 😀\"", .string, string: "日本語 😀"),
    AcceptCase("max code point raw", [quote, 0xF4, 0x8F, 0xBF, 0xBF, quote], .string, string: "\u{10FFFF}"),
    AcceptCase("U+FFFF raw", [quote, 0xEF, 0xBF, 0xBF, quote], .string, string: "\u{FFFF}"),
    AcceptCase("DEL is not a control character", "\"\u{7F}\"", .string, string: "\u{7F}"),
    AcceptCase(
        "nesting exactly 128 deep", String(repeating: "[", count: 128) + String(repeating: "]", count: 128), .array),
]

@Suite struct WireJSONParserTests {
    @Test(arguments: rejectCases)
    func rejects(_ testCase: RejectCase) {
        #expect(throws: JSONParseError(offset: testCase.offset, message: testCase.message)) {
            try JSONDocument(parsing: testCase.bytes)
        }
    }

    @Test(arguments: acceptCases)
    func accepts(_ testCase: AcceptCase) throws {
        let doc = try JSONDocument(parsing: testCase.bytes)
        #expect(doc.root.kind == testCase.kind)
        #expect(doc.root.byteRange.count > 0)
        if let expected = testCase.string {
            #expect(doc.root.string == expected)
        }
    }

    @Test func objectLookupAndArrayItems() throws {
        let doc = try JSONDocument(parsing: #"{"a":[1,[2,3],{"x":4}],"b":5,"c":{"d":[true,false,null]}}"#)
        let root = doc.root
        #expect(root.count == 3)
        #expect(root["b"]?.int == 5)
        #expect(root["a"]?.count == 3)
        #expect(root["a"]?[1]?[1]?.int == 3)
        #expect(root["a"]?[2]?["x"]?.int == 4)
        #expect(root["a"]?[3] == nil)
        #expect(root["a"]?[-1] == nil)
        #expect(root["c"]?["d"]?.items.map(\.kind) == [.bool, .bool, .null])
        #expect(root["c"]?["d"]?[0]?.bool == true)
        #expect(root["c"]?["d"]?[1]?.bool == false)
        #expect(root["c"]?["d"]?[2]?.isNull == true)
        #expect(root["missing"] == nil)
        // Wrong-kind accessors answer nil instead of trapping.
        #expect(root["b"]?["x"] == nil)
        #expect(root["b"]?.string == nil)
        #expect(root["a"]?.int == nil)
        #expect(root[0] == nil)
        #expect(root["b"]?.items.map(\.index) == [])
        #expect(root.members.map { $0.key.string } == ["a", "b", "c"])
    }

    @Test func duplicateKeysLastWins() throws {
        let doc = try JSONDocument(parsing: #"{"model":"first","x":1,"model":"second"}"#)
        #expect(doc.root["model"]?.string == "second")
        #expect(doc.root.count == 3)
        #expect(doc.root.members.filter { $0.key.stringEquals("model") }.count == 2)
    }

    @Test func keysCompareByCodePointsAfterUnescaping() throws {
        let doc = try JSONDocument(parsing: #"{"\u006dodel":"escaped","caf\u00e9":1,"cafe\u0301":2}"#)
        #expect(doc.root["model"]?.string == "escaped")
        // Precomposed and decomposed "é" are different keys in JSON, though Swift's == calls them equal.
        #expect(doc.root["caf\u{E9}"]?.int == 1)
        #expect(doc.root["cafe\u{301}"]?.int == 2)
        #expect(doc.root["mode"] == nil)
        #expect(doc.root["models"] == nil)
    }

    @Test func byteRangesPointIntoTheSource() throws {
        let text = #"{ "a" : "x\"y" , "b" : [ 1 , 2.5 ] , "c": null }"#
        let doc = try JSONDocument(parsing: text)
        let source = Array(text.utf8)
        #expect(String(decoding: source[try #require(doc.root["a"]).byteRange], as: UTF8.self) == #""x\"y""#)
        #expect(String(decoding: source[try #require(doc.root["b"]).byteRange], as: UTF8.self) == "[ 1 , 2.5 ]")
        #expect(String(decoding: try #require(doc.root["b"]?[1]).rawBytes, as: UTF8.self) == "2.5")
        #expect(try #require(doc.root["c"]).byteRange == 42..<46)
        #expect(doc.root.byteRange == 0..<source.count)
        #expect(doc.root["a"]?.string == "x\"y")
    }

    @Test func numbers() throws {
        let doc = try JSONDocument(
            parsing: """
                [42, -7, 0, -0, 1e2, 3.0, 1.5, 9007199254740993, 9223372036854775807, -9223372036854775808,
                 9223372036854775808, 1e400, -1e400, 1e-400, 123456789012345678901234567890, 2.5E-3]
                """)
        let items = Array(doc.root.items)
        #expect(
            items.map(\.int) == [
                42, -7, 0, 0, 100, 3, nil, 9_007_199_254_740_993, Int.max, Int.min, nil, nil, nil, 0, nil, nil,
            ])
        #expect(items[4].double == 100)
        #expect(items[6].double == 1.5)
        #expect(items[11].double == .infinity)
        #expect(items[12].double == -.infinity)
        #expect(items[14].double == 1.2345678901234568e29)
        #expect(items[15].double == 0.0025)
        #expect(items[0].string == nil)
        #expect(doc.root.double == nil)
    }

    @Test func stringEqualsWithoutDecodingToString() throws {
        let doc = try JSONDocument(parsing: #"["text", "te\u0078t", "tex", "texts", 5]"#)
        let items = Array(doc.root.items)
        #expect(items.map { $0.stringEquals("text") } == [true, true, false, false, false])
    }

    @Test func errorDescriptionIsTheMessage() {
        do {
            _ = try JSONDocument(parsing: #"{"a":1,}"#)
            Issue.record("expected a parse error")
        } catch {
            #expect(error.offset == 7)
            #expect("\(error)" == "unexpected character '}' at byte 7")
        }
    }

    @Test func largeDocumentParsesWithFlatNodeTable() throws {
        var text = #"{"messages":["#
        for index in 0..<5000 {
            if index > 0 { text += "," }
            text += #"{"role":"user","content":"message \#(index) \u00e9"}"#
        }
        text += "]}"
        let doc = try JSONDocument(parsing: text)
        // Root, "messages" key, the array, then per message: object + 2 keys + 2 values.
        #expect(doc.nodeCount == 3 + 5000 * 5)
        #expect(doc.root["messages"]?.count == 5000)
        #expect(doc.root["messages"]?[4999]?["content"]?.string == "message 4999 é")
    }
}
