/// A 1-based position in a config file, as reported to the user.
struct SourceMark: Sendable, Equatable {
    var line: Int
    var column: Int
}

/// How a scalar was written. Only `.plain` scalars go through YAML 1.2 core-schema type resolution;
/// every other style is a string, which is what lets `"60"` and `60` mean different things.
enum YAMLScalarStyle: Sendable, Equatable {
    case plain
    case singleQuoted
    case doubleQuoted
    case literal
    case folded
}

/// One `key: value` pair of a mapping, in source order.
struct YAMLMappingEntry: Sendable, Equatable {
    var key: YAMLNode
    var value: YAMLNode
}

/// A YAML node with the position it came from, built from libyaml's event stream (see `YAMLTreeBuilder`).
struct YAMLNode: Sendable, Equatable {
    enum Content: Sendable, Equatable {
        case scalar(String, YAMLScalarStyle)
        case sequence([YAMLNode])
        case mapping([YAMLMappingEntry])
    }

    var content: Content
    var mark: SourceMark
    /// The explicit tag, already expanded by libyaml (`!!str` becomes `tag:yaml.org,2002:str`); nil when untagged.
    var tag: String?

    init(_ content: Content, mark: SourceMark, tag: String? = nil) {
        self.content = content
        self.mark = mark
        self.tag = tag
    }

    /// The scalar's text exactly as libyaml delivered it (quotes removed, escapes applied), or nil.
    var scalarText: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    /// True for an untagged plain scalar: the only kind whose type is resolved by the core schema.
    var isPlainScalar: Bool {
        if case .scalar(_, .plain) = content { return tag == nil }
        return false
    }

    var mappingEntries: [YAMLMappingEntry]? {
        if case .mapping(let entries) = content { return entries }
        return nil
    }

    var sequenceItems: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }
}
