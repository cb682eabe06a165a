/// The BPE vocabulary a token estimate is calibrated for. The word, number, whitespace and punctuation costs are
/// the same for both; the cost of each non-ASCII script differs (cl100k_base splits most non-Latin scripts into
/// far more tokens than o200k_base).
package enum TokenVocabulary: Sendable, Equatable, Hashable {
    /// gpt-4o, gpt-4.1, gpt-4.5, gpt-5, the o-series: the default.
    case o200k
    /// gpt-4 (incl. -turbo), gpt-3.5-turbo.
    case cl100k

    /// The vocabulary of an OpenAI model name (a provider prefix such as "openai/" is ignored): `cl100k` for the
    /// gpt-3.5 and gpt-4 families (not gpt-4o / gpt-4.1 / gpt-4.5), `o200k` for everything else.
    package static func forModel(_ model: String) -> TokenVocabulary {
        let name = (model.split(separator: "/").last.map(String.init) ?? model).lowercased()
        if name.hasPrefix("gpt-3.5") || name.hasPrefix("gpt-35") { return .cl100k }
        if name == "gpt-4" || name.hasPrefix("gpt-4-") { return .cl100k }
        return .o200k
    }

    var scriptWeights: TokenEstimateScriptWeights {
        switch self {
        case .o200k: .o200k
        case .cl100k: .cl100k
        }
    }
}

/// Cost in milli-tokens of one non-ASCII scalar, per Unicode range. Fitted on translated UI strings (see
/// docs/context-limits.md); bench/quality/token_estimate_eval.py holds the same numbers (`WEIGHTS`).
struct TokenEstimateScriptWeights: Sendable {
    var latin1: Int  // U+0080–U+00FF
    var latinExtended: Int  // U+0100–U+024F, U+1E00–U+1EFF
    var greek: Int  // U+0370–U+03FF, U+1F00–U+1FFF
    var cyrillic: Int  // U+0400–U+052F
    var armenian: Int  // U+0530–U+058F
    var hebrew: Int  // U+0590–U+05FF
    var arabic: Int  // U+0600–U+06FF, U+0750–U+077F, U+08A0–U+08FF, U+FB50–U+FDFF, U+FE70–U+FEFF
    var otherTwoByte: Int  // the rest below U+0800 (IPA, combining marks, Syriac, Thaana, …)
    var indic: Int  // U+0900–U+0DFF
    var otherBMP: Int  // the rest of the BMP (Thai, Georgian, Ethiopic, Khmer, Myanmar, …)
    var generalPunctuation: Int  // U+2000–U+206F (’ “ ” — …)
    var symbols: Int  // U+2070–U+2E7F (arrows, maths, box drawing, dingbats)
    var cjk: Int  // U+2E80–U+9FFF, U+F900–U+FAFF, U+FF00–U+FFEF (Han, kana, CJK punctuation, full width)
    var hangul: Int  // U+AC00–U+D7AF
    var astral: Int  // U+10000 and above (emoji, rare Han)

    static let o200k = TokenEstimateScriptWeights(
        latin1: 1000, latinExtended: 1000, greek: 500, cyrillic: 525, armenian: 400, hebrew: 600, arabic: 600,
        otherTwoByte: 2000, indic: 1150, otherBMP: 1600, generalPunctuation: 1000, symbols: 2000, cjk: 1125,
        hangul: 975, astral: 3000)

    static let cl100k = TokenEstimateScriptWeights(
        latin1: 1000, latinExtended: 1000, greek: 1200, cyrillic: 900, armenian: 2000, hebrew: 1425, arabic: 1175,
        otherTwoByte: 2000, indic: 2975, otherBMP: 2975, generalPunctuation: 1000, symbols: 2000, cjk: 1825,
        hangul: 1575, astral: 3000)

    func weight(of scalar: UInt32) -> Int {
        switch scalar {
        case ..<0x100: latin1
        case ..<0x250, 0x1E00..<0x1F00: latinExtended
        case 0x370..<0x400, 0x1F00..<0x2000: greek
        case 0x400..<0x530: cyrillic
        case 0x530..<0x590: armenian
        case 0x590..<0x600: hebrew
        case 0x600..<0x700, 0x750..<0x780, 0x8A0..<0x900, 0xFB50..<0xFE00, 0xFE70..<0xFF00: arabic
        case ..<0x800: otherTwoByte
        case 0x900..<0xE00: indic
        case 0x2000..<0x2070: generalPunctuation
        case 0x2070..<0x2E80: symbols
        case 0x2E80..<0xA000, 0xF900..<0xFB00, 0xFF00..<0xFFF0: cjk
        case 0xAC00..<0xD7B0: hangul
        case ..<0x10000: otherBMP
        default: astral
        }
    }
}

/// A cheap estimate of how many BPE tokens a text is: one pass over its UTF-8 bytes, no allocation.
///
/// It mimics the tokenizers' pre-splitting: a run of ASCII letters is a word (a lower→upper change starts a new
/// one, as in "camelCase") costing 1 token plus 0.15 per letter past the fifth, plus 0.525 when it starts with a
/// capital (names are often split); digits cost 1 per group of 3 (+1 when a space precedes the number); a single
/// space is free (it joins the next word), a longer run costs 1 + 0.05 per further space; a run of line breaks
/// or tabs costs 1 + 0.25 per further one; a run of other ASCII characters costs 1 + 0.45 per further one; each
/// non-ASCII scalar costs its script's weight (`TokenEstimateScriptWeights`). The sum, in milli-tokens, is rounded
/// up. Adding text never lowers the estimate. Measured error: docs/context-limits.md.
///
/// bench/quality/token_estimate_eval.py (`estimate_counts`) is the reference implementation of this function
/// and must change with it; the golden strings in both keep them in lockstep.
package func estimateTextTokens(_ utf8: UnsafeBufferPointer<UInt8>, vocabulary: TokenVocabulary = .o200k) -> Int {
    var estimator = TextTokenEstimator(scripts: vocabulary.scriptWeights)
    estimator.feed(utf8)
    return estimator.tokens
}

/// The estimate of `text` (see the overload on bytes).
package func estimateTextTokens(_ text: String, vocabulary: TokenVocabulary = .o200k) -> Int {
    var text = text
    return text.withUTF8 { estimateTextTokens($0, vocabulary: vocabulary) }
}

/// The state machine behind `estimateTextTokens`.
struct TextTokenEstimator {
    // ASCII costs in milli-tokens (shared by every vocabulary).
    static let word = 1000
    static let freeLetters = 5
    static let longWordLetter = 150
    static let capitalizedWord = 525
    static let digitGroup = 1000
    static let secondSpace = 1000
    static let furtherSpace = 50
    static let lineBreak = 1000
    static let furtherLineBreak = 250
    static let punctuation = 1000
    static let furtherPunctuation = 450

    private enum Previous { case start, lower, upper, digit, space, lineBreak, punctuation, nonASCII }

    let scripts: TokenEstimateScriptWeights
    private(set) var milliTokens = 0
    private var previous = Previous.start
    private var run = 0

    init(scripts: TokenEstimateScriptWeights) {
        self.scripts = scripts
    }

    var tokens: Int { (milliTokens + 999) / 1000 }

    mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) {
        let count = bytes.count
        var index = 0
        while index < count {
            let byte = bytes[index]
            if byte >= 0x80 {
                index += nonASCII(bytes, at: index)
                continue
            }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                letter(upper: byte <= UInt8(ascii: "Z"))
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if previous == .digit {
                    run += 1
                    if run % 3 == 1 { milliTokens += Self.digitGroup }
                } else {
                    // A space before a number is a token of its own.
                    milliTokens += previous == .space ? 2 * Self.digitGroup : Self.digitGroup
                    run = 1
                }
                previous = .digit
            case 0x20:
                if previous == .space {
                    run += 1
                    milliTokens += run == 2 ? Self.secondSpace : Self.furtherSpace
                } else {
                    run = 1  // one space joins the word or punctuation that follows
                }
                previous = .space
            case 0x09...0x0D:
                milliTokens += previous == .lineBreak ? Self.furtherLineBreak : Self.lineBreak
                previous = .lineBreak
            default:
                milliTokens += previous == .punctuation ? Self.furtherPunctuation : Self.punctuation
                previous = .punctuation
            }
            index += 1
        }
    }

    private mutating func letter(upper: Bool) {
        if previous == .upper || (previous == .lower && !upper) {
            run += 1
            if run > Self.freeLetters { milliTokens += Self.longWordLetter }
        } else {
            milliTokens += Self.word
            if upper { milliTokens += Self.capitalizedWord }
            run = 1
        }
        previous = upper ? .upper : .lower
    }

    /// Adds the scalar starting at `index` and returns its length in bytes. Bytes that are not valid UTF-8 (never
    /// passed by the gateway: the JSON parser rejects them) count one astral scalar each.
    private mutating func nonASCII(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        let lead = UInt32(bytes[index])
        let available = bytes.count - index
        let scalar: UInt32
        let length: Int
        func continuation(_ offset: Int) -> UInt32 { UInt32(bytes[index + offset]) & 0x3F }
        if lead >= 0xF0 && available > 3 {
            scalar = (lead & 0x07) << 18 | continuation(1) << 12 | continuation(2) << 6 | continuation(3)
            length = 4
        } else if lead >= 0xE0 && available > 2 {
            scalar = (lead & 0x0F) << 12 | continuation(1) << 6 | continuation(2)
            length = 3
        } else if lead >= 0xC0 && available > 1 {
            scalar = (lead & 0x1F) << 6 | continuation(1)
            length = 2
        } else {
            scalar = 0x10000
            length = 1
        }
        milliTokens += scripts.weight(of: scalar)
        previous = .nonASCII
        return length
    }
}
