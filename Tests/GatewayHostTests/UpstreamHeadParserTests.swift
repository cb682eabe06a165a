import Testing

@testable import GatewayHost

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
