import Testing

@testable import GatewayCore
@testable import GatewayWire

/// ResponseHeadParser on header-callback lines as curl delivers them.
@Suite struct UpstreamHeadParserTests {
    private func feed(_ lines: [String]) -> (heads: [ResponseHead], parser: ResponseHeadParser) {
        var parser = ResponseHeadParser()
        var heads: [ResponseHead] = []
        for line in lines {
            if let head = parser.consume(Array(line.utf8)) { heads.append(head) }
        }
        return (heads, parser)
    }

    @Test func interimResponsesAreSkipped() {
        let (heads, _) = feed([
            "HTTP/1.1 100 Continue\r\n", "\r\n",
            "HTTP/1.1 201 Created\r\n", "Content-Type: application/json\r\n", "X-Request-Id:  abc \r\n", "\r\n",
        ])
        #expect(heads.count == 1)
        #expect(heads.first?.status == 201)
        #expect(heads.first?.headers.map(\.name) == ["Content-Type", "X-Request-Id"])
        #expect(heads.first?.headers.map(\.value) == ["application/json", "abc"])
    }

    @Test func http2StatusLineAndFoldedHeaders() {
        let (heads, _) = feed(["HTTP/2 429 \r\n", "retry-after: 1\r\n", "x-long: a\r\n", "\t b\r\n", "\r\n"])
        #expect(heads.first?.status == 429)
        #expect(heads.first?.headers.last?.value == "a b")
    }

    @Test func trailersAfterTheHeadAreIgnored() {
        let (heads, parser) = feed(["HTTP/1.1 200 OK\r\n", "\r\n", "X-Trailer: 1\r\n", "\r\n"])
        #expect(heads.count == 1)
        #expect(heads.first?.headers.isEmpty == true)
        #expect(parser.isComplete)
    }

    @Test func malformedLinesAreDropped() {
        let (heads, _) = feed(["HTTP/1.1 200 OK\r\n", "no colon here\r\n", ": no name\r\n", "Ok: yes\r\n", "\r\n"])
        #expect(heads.first?.headers.count == 1)
        #expect(heads.first?.headers.first?.name == "Ok")
    }
}

/// Small helpers of the request path that the hot path relies on.
@Suite struct HotPathHelperTests {
    @Test func generatedRequestIDsAreReqAnd24HexDigitsAndUnique() {
        var seen = Set<String>()
        for _ in 0..<2000 {
            let id = RequestIdentity.generate()
            #expect(id.count == 28)
            #expect(id.hasPrefix("req_"))
            #expect(id.dropFirst(4).allSatisfy { "0123456789abcdef".contains($0) })
            seen.insert(id)
        }
        #expect(seen.count == 2000)
        // Every hex position varies (no digit stuck at one value by a shift mistake).
        let ids = Array(seen)
        for position in 4..<28 {
            let digits = Set(ids.map { Array($0.utf8)[position] })
            #expect(digits.count > 8, "position \(position) takes only \(digits.count) values")
        }
    }

    @Test func asciiCaseInsensitiveComparison() {
        #expect("Content-Type".equalsIgnoringASCIICase("content-type"))
        #expect("X-RATELIMIT-Reset".equalsIgnoringASCIICase("x-ratelimit-reset"))
        #expect(!"content-type".equalsIgnoringASCIICase("content-typ"))
        #expect(!"content-typ".equalsIgnoringASCIICase("content-type"))
        #expect(!"a[".equalsIgnoringASCIICase("a{"))  // 0x5B vs 0x7B: not letters, not equal
        #expect("".equalsIgnoringASCIICase(""))
        #expect(!"é".equalsIgnoringASCIICase("É"))  // only ASCII letters fold
    }

    @Test func usageIsReadFromTheAnswerOnlyWhenAsked() {
        let exchange = ChainHarness.exchange()
        let answer = #"{"id":"x","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"#
        exchange.state.withLock { $0.answerBody = Array(answer.utf8) }
        #expect(exchange.state.withLock { $0.usageJSON } == nil)
        #expect(exchange.usage() == #"{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}"#)
        #expect(exchange.state.withLock { $0.answerBody } == nil)  // parsed once, then dropped

        let noUsage = ChainHarness.exchange()
        noUsage.state.withLock { $0.answerBody = Array(#"{"id":"x","usage":null}"#.utf8) }
        #expect(noUsage.usage() == nil)
        let broken = ChainHarness.exchange()
        broken.state.withLock { $0.answerBody = Array("not json".utf8) }
        #expect(broken.usage() == nil)
    }

    @Test func headLinesAreParsedFromRawBuffers() {
        var parser = ResponseHeadParser()
        var head: ResponseHead?
        for line in ["HTTP/1.1 200 OK\r\n", "content-type:application/json \r\n", "x-empty:\r\n", "\r\n"] {
            let bytes = Array(line.utf8)
            bytes.withUnsafeBytes { raw in
                if let parsed = parser.consume(raw) { head = parsed }
            }
        }
        #expect(head?.status == 200)
        #expect(head?.headers.map(\.name) == ["content-type", "x-empty"])
        #expect(head?.headers.map(\.value) == ["application/json", ""])
    }

    @Test func byteSearchFindsTheNeedleAnywhereAndOnlyWhole() {
        func has(_ hay: String, _ needle: String) -> Bool { Array(hay.utf8).containsSubsequence(Array(needle.utf8)) }
        #expect(has(#""usage":{}"#, #""usage""#))
        #expect(has(#"{"a":1,"usage":null}"#, #""usage""#))
        #expect(has(#"xx"usage""#, #""usage""#))  // at the very end
        #expect(has(#""us"usa"usage"#, #""usage"#))  // partial matches of the first bytes before the hit
        #expect(!has(#""usag"#, #""usage""#))  // needle longer than the haystack
        #expect(!has(#"{"usage_x":1, "usag e"}"#, #""usage""#))
        #expect(!has("", "a"))
        #expect(!has("abc", ""))
        #expect(has("aaab", "aab"))
    }

    @Test func malformedStatusLinesGiveNoStatus() {
        for line in ["HTTP/1.1 2x0 OK\r\n", "HTTP/1.1\r\n", "HTTP/1.1 20000 OK\r\n"] {
            var parser = ResponseHeadParser()
            _ = parser.consume(Array(line.utf8))
            #expect(parser.status == nil, "\(line)")
        }
    }
}
