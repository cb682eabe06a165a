import Testing

@testable import GatewayCore
@testable import GatewayWire

@Suite struct ConfigCanonicalJSONTests {
    /// Canonical JSON of a YAML snippet's root node.
    private func json(_ yaml: String) throws -> String {
        let tree = YAMLTreeBuilder.build(text: yaml, file: "t.yaml")
        #expect(tree.errors.isEmpty)
        return canonicalJSON(try #require(tree.root))
    }

    @Test func keysAreSortedByUTF8Bytes() throws {
        #expect(
            try json("{b: 1, a: 2, B: 3, é: 4, aa: 5, '10': 6, 9: 7}")
                == #"{"10":6,"9":7,"B":3,"a":2,"aa":5,"b":1,"é":4}"#)
    }

    @Test func plainScalarsAreTypedByTheCoreSchema() throws {
        let yaml = """
            dec: 1
            neg: -7
            hex: 0x1F
            oct: 0o17
            float: 1.5
            exp: 1e3
            leading: .5
            small: -0.25
            tiny: 1e-7
            t1: true
            t2: False
            t3: TRUE
            n1: null
            n2: ~
            n3:
            big: 99999999999999999999
            """
        #expect(
            try json(yaml)
                == #"{"big":1e+20,"dec":1,"exp":1000.0,"float":1.5,"hex":31,"leading":0.5,"n1":null,"n2":null,"#
                + #""n3":null,"neg":-7,"oct":15,"small":-0.25,"t1":true,"t2":false,"t3":true,"tiny":1e-07}"#)
    }

    @Test func quotedAndNonCoreScalarsStayStrings() throws {
        let yaml = """
            yes: yes
            quoted_bool: "true"
            quoted_int: '42'
            date: 2024-01-01
            underscore: 1_000
            octal_1_1: 0777
            str_tag: !!str 12
            """
        // 0777 is a decimal int in YAML 1.2 (the 0 prefix means nothing); 0o777 is the octal spelling.
        #expect(
            try json(yaml)
                == #"{"date":"2024-01-01","octal_1_1":777,"quoted_bool":"true","quoted_int":"42","str_tag":"12","#
                + #""underscore":"1_000","yes":"yes"}"#)
    }

    @Test func stringsAreEscapedPerRFC8259() throws {
        let yaml = #"s: "q\"b\\s\n\t\r\b\f\x01\x1F é/<>""#
        #expect(try json(yaml) == #"{"s":"q\"b\\s\n\t\r\b\f\u0001\u001f é/<>"}"#)
    }

    @Test func nestedCollectionsAndBlockScalars() throws {
        let yaml = """
            list: [{b: 2, a: 1}, [], [x, 2]]
            obj: {}
            text: |
              line1
              line2
            folded: >  # no line break after the last line: clip chomping keeps none
              a
              b
            """
        #expect(
            try json(yaml)
                == #"{"folded":"a b","list":[{"a":1,"b":2},[],["x",2]],"obj":{},"text":"line1\nline2\n"}"#)
    }

    @Test func policyConfigExcludesThePluginKeyAndDefaultsToAnEmptyObject() throws {
        let yaml = """
            pack: {name: demo, version: 1.0.0}
            policies: {chain: [pii, audit, plain]}
            policy:
              pii:
                plugin: {timeout_ms: 10}
                mode: redact
                Threshold: 0.5
              audit:
                plugin: {}
              plain: {}
            providers:
              targets:
                - {id: a, model: m}
            """
        let policies = try ConfigFixture.load(yaml).config.policies
        #expect(policies["pii"]?.configJSON == #"{"Threshold":0.5,"mode":"redact"}"#)
        #expect(policies["pii"]?.timeoutMs == 10)
        #expect(policies["audit"]?.configJSON == "{}")
        #expect(policies["plain"]?.configJSON == "{}")
    }

    @Test func coreSchemaResolution() {
        func resolve(_ text: String) -> YAMLScalarValue { YAMLCoreSchema.resolve(plain: text) }
        #expect(resolve("0o777") == .int(511))
        #expect(resolve("+12") == .int(12))
        #expect(resolve("-0") == .int(0))
        #expect(resolve("1.") == .float(1))
        #expect(resolve("1E+5") == .float(100_000))
        #expect(resolve("-.inf") == .float(-.infinity))
        #expect(resolve(".Inf") == .float(.infinity))
        if case .float(let nan) = resolve(".NaN") { #expect(nan.isNaN) } else { Issue.record(".NaN is not a float") }
        #expect(resolve("0xFFFFFFFFFFFFFFFFFF") == .string("0xFFFFFFFFFFFFFFFFFF"))
        for text in ["0x", "0o8", "12:30", "1.2.3", "e5", ".", "+", "-", "1e", "yes", "No", "on", "nan", "inf", "TRue"]
        {
            #expect(resolve(text) == .string(text))
        }
    }
}
