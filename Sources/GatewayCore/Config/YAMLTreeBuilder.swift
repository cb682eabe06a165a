import CYAML
import GatewayWire

/// Turns YAML text into a `YAMLNode` tree using libyaml's event API (not its document API, which would throw
/// away the information needed to reject duplicate keys where they occur).
///
/// Beyond plain YAML this enforces what a gatewayhost config may use: exactly one document, scalar keys only,
/// no duplicate keys, no anchors or aliases (rejected rather than resolved: one node feeding several config
/// paths would make error positions ambiguous, and alias expansion is a classic resource-exhaustion vector),
/// and no explicit tags other than `!` and `!!str`.
package struct YAMLTreeBuilder {
    /// The root node (nil for an empty stream or after a syntax error) and every structural error found.
    package struct Result {
        package var root: YAMLNode?
        package var errors: [ConfigError]
    }

    private enum Frame {
        case sequence(SequenceFrame)
        case mapping(MappingFrame)
    }

    private struct SequenceFrame {
        var mark: SourceMark
        var tag: String?
        var path: String
        var items: [YAMLNode] = []
    }

    private struct MappingFrame {
        var mark: SourceMark
        var tag: String?
        var path: String
        var entries: [YAMLMappingEntry] = []
        var pendingKey: YAMLNode?
        /// Set when the pending key was rejected (duplicate or non-scalar): its value is parsed but dropped.
        var dropPendingValue = false
        var keyMarks: [String: SourceMark] = [:]
    }

    /// Deeper nesting is refused: no config needs it, and the tree is later walked recursively.
    package static let maximumDepth = 64

    private let file: String
    private let text: String
    private var stack: [Frame] = []
    private var root: YAMLNode?
    private var errors: [ConfigError] = []

    /// Parses `text`; `file` only labels the errors.
    package static func build(text: String, file: String) -> Result {
        var builder = YAMLTreeBuilder(file: file, text: text)
        return builder.run()
    }

    private init(file: String, text: String) {
        self.file = file
        self.text = text
    }

    private mutating func run() -> Result {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return Result(root: nil, errors: [error(at: SourceMark(line: 0, column: 0), "", "libyaml could not start")])
        }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var documents = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    errors.append(syntaxError(parser))
                    return Result(root: nil, errors: errors)
                }
                defer { yaml_event_delete(&event) }
                let mark = SourceMark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
                let opensCollection = event.type == YAML_SEQUENCE_START_EVENT || event.type == YAML_MAPPING_START_EVENT
                if opensCollection, stack.count >= Self.maximumDepth {
                    errors.append(
                        error(
                            at: mark, nextChildPath(),
                            "nesting deeper than \(Self.maximumDepth) levels is not supported in gatewayhost configs"))
                    return Result(root: nil, errors: errors)
                }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return Result(root: root, errors: errors)
                case YAML_DOCUMENT_START_EVENT:
                    documents += 1
                    if documents > 1 {
                        errors.append(
                            error(at: mark, "", "found a second YAML document; a config file must hold exactly one"))
                        return Result(root: nil, errors: errors)
                    }
                case YAML_SCALAR_EVENT:
                    let scalar = event.data.scalar
                    let value = String(
                        decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                    let path = nextChildPath()
                    checkAnchor(scalar.anchor, mark: mark, path: path)
                    let tag = checkedTag(scalar.tag, mark: mark, path: path, allowString: true)
                    deliver(YAMLNode(.scalar(value, Self.style(scalar.style)), mark: mark, tag: tag))
                case YAML_SEQUENCE_START_EVENT:
                    let path = nextChildPath()
                    checkAnchor(event.data.sequence_start.anchor, mark: mark, path: path)
                    let tag = checkedTag(event.data.sequence_start.tag, mark: mark, path: path, allowString: false)
                    stack.append(.sequence(SequenceFrame(mark: mark, tag: tag, path: path)))
                case YAML_MAPPING_START_EVENT:
                    let path = nextChildPath()
                    checkAnchor(event.data.mapping_start.anchor, mark: mark, path: path)
                    let tag = checkedTag(event.data.mapping_start.tag, mark: mark, path: path, allowString: false)
                    stack.append(.mapping(MappingFrame(mark: mark, tag: tag, path: path)))
                case YAML_SEQUENCE_END_EVENT:
                    if case .sequence(let frame) = stack.removeLast() {
                        deliver(YAMLNode(.sequence(frame.items), mark: frame.mark, tag: frame.tag))
                    }
                case YAML_MAPPING_END_EVENT:
                    if case .mapping(let frame) = stack.removeLast() {
                        deliver(YAMLNode(.mapping(frame.entries), mark: frame.mark, tag: frame.tag))
                    }
                case YAML_ALIAS_EVENT:
                    let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
                    errors.append(
                        error(
                            at: mark, nextChildPath(),
                            "aliases (*\(name)) are not supported in gatewayhost configs; write the value out in full"))
                    // A stand-in keeps the surrounding structure intact so later errors are still found.
                    deliver(YAMLNode(.scalar("", .plain), mark: mark))
                default:
                    break  // stream start, document end: nothing to build
                }
            }
        }
    }

    /// The key path of the node about to be delivered to the innermost open collection.
    private func nextChildPath() -> String {
        switch stack.last {
        case nil: return ""
        case .sequence(let frame): return ConfigKeyPath.index(frame.path, frame.items.count)
        case .mapping(let frame):
            guard let key = frame.pendingKey else { return frame.path }  // the node is itself a key
            return ConfigKeyPath.child(frame.path, key.scalarText ?? "?")
        }
    }

    private mutating func deliver(_ node: YAMLNode) {
        guard let top = stack.popLast() else {
            root = node
            return
        }
        switch top {
        case .sequence(var frame):
            frame.items.append(node)
            stack.append(.sequence(frame))
        case .mapping(var frame):
            if let key = frame.pendingKey {
                if !frame.dropPendingValue { frame.entries.append(YAMLMappingEntry(key: key, value: node)) }
                frame.pendingKey = nil
                frame.dropPendingValue = false
            } else {
                frame.pendingKey = node
                frame.dropPendingValue = !acceptKey(node, in: &frame)
            }
            stack.append(.mapping(frame))
        }
    }

    /// Records a key, or reports why it cannot be one.
    private mutating func acceptKey(_ key: YAMLNode, in frame: inout MappingFrame) -> Bool {
        guard let name = key.scalarText else {
            let kind = key.sequenceItems != nil ? "a list" : "a mapping"
            errors.append(error(at: key.mark, frame.path, "expected a scalar mapping key, got \(kind)"))
            return false
        }
        if let first = frame.keyMarks[name] {
            errors.append(
                error(
                    at: key.mark, ConfigKeyPath.child(frame.path, name),
                    "duplicate key '\(name)' (first defined at line \(first.line), column \(first.column));"
                        + " each key may appear only once"))
            return false
        }
        frame.keyMarks[name] = key.mark
        return true
    }

    private mutating func checkAnchor(_ anchor: UnsafeMutablePointer<yaml_char_t>?, mark: SourceMark, path: String) {
        guard let anchor else { return }
        let name = String(cString: anchor)
        errors.append(
            error(
                at: mark, path,
                "anchors (&\(name)) are not supported in gatewayhost configs; write the value out in full"))
    }

    /// The node's tag, or nil. `!` (non-specific) and, on scalars, `!!str` are harmless and kept; any other tag
    /// would change a value's type behind the schema's back, so it is an error.
    private mutating func checkedTag(
        _ tag: UnsafeMutablePointer<yaml_char_t>?, mark: SourceMark, path: String, allowString: Bool
    ) -> String? {
        guard let tag else { return nil }
        let name = String(cString: tag)
        if name == "!" || (allowString && name == "tag:yaml.org,2002:str") { return name }
        let shown = name.hasPrefix("tag:yaml.org,2002:") ? "!!" + name.dropFirst("tag:yaml.org,2002:".count) : name
        errors.append(
            error(
                at: mark, path,
                "YAML tag '\(shown)' is not supported in gatewayhost configs; remove it"
                    + (allowString ? " (only !!str is allowed)" : "")))
        return name
    }

    private static func style(_ style: yaml_scalar_style_t) -> YAMLScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }

    private func error(at mark: SourceMark, _ path: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: mark.line, column: mark.column, keyPath: path, message: message)
    }

    /// libyaml's own problem text at its problem mark, with its context ("while parsing a block mapping") and a
    /// hint when the offending character is a tab (the commonest cause of "cannot start any token") and libyaml's
    /// own text does not already say so.
    private func syntaxError(_ parser: yaml_parser_t) -> ConfigError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown syntax error"
        switch parser.error {
        case YAML_MEMORY_ERROR:
            return error(at: SourceMark(line: 0, column: 0), "", "libyaml ran out of memory")
        case YAML_READER_ERROR:
            return error(at: markOfByte(parser.problem_offset), "", "invalid YAML input: \(problem)")
        default:
            let mark = SourceMark(
                line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
            var message = problem
            if let context = parser.context {
                let line = Int(parser.context_mark.line) + 1
                let column = Int(parser.context_mark.column) + 1
                message += " (\(String(cString: context)) started at line \(line), column \(column))"
            }
            if character(at: mark) == "\t", !problem.contains("tab") {
                message += "; YAML does not allow tabs for indentation, use spaces"
            }
            return error(at: mark, "", message)
        }
    }

    private func character(at mark: SourceMark) -> Character? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let line = lines[mark.line - 1].unicodeScalars
        guard mark.column >= 1, mark.column <= line.count else { return nil }
        return Character(line[line.index(line.startIndex, offsetBy: mark.column - 1)])
    }

    private func markOfByte(_ offset: Int) -> SourceMark {
        let prefix = text.utf8.prefix(offset)
        let line = prefix.count { $0 == UInt8(ascii: "\n") } + 1
        let lineStart = prefix.lastIndex(of: UInt8(ascii: "\n")).map { prefix.index(after: $0) } ?? prefix.startIndex
        let column = String(decoding: prefix[lineStart...], as: UTF8.self).unicodeScalars.count + 1
        return SourceMark(line: line, column: column)
    }
}
