import GatewayWire

/// A 1-based position in a config file, as reported to the user.
package struct SourceMark: Sendable, Equatable {
    package var line: Int
    package var column: Int
}

/// How a scalar was written. Only `.plain` scalars go through YAML 1.2 core-schema type resolution;
/// every other style is a string, which is what lets `"60"` and `60` mean different things.
package enum YAMLScalarStyle: Sendable, Equatable {
    case plain
    case singleQuoted
    case doubleQuoted
    case literal
    case folded
}

/// One `key: value` pair of a mapping, in source order.
package struct YAMLMappingEntry: Sendable, Equatable {
    package var key: YAMLNode
    package var value: YAMLNode
}

/// A YAML node with the position it came from, built from libyaml's event stream (see `YAMLTreeBuilder`).
package struct YAMLNode: Sendable, Equatable {
    package enum Content: Sendable, Equatable {
        case scalar(String, YAMLScalarStyle)
        case sequence([YAMLNode])
        case mapping([YAMLMappingEntry])
    }

    package var content: Content
    package var mark: SourceMark
    /// The explicit tag, already expanded by libyaml (`!!str` becomes `tag:yaml.org,2002:str`); nil when untagged.
    package var tag: String?

    package init(_ content: Content, mark: SourceMark, tag: String? = nil) {
        self.content = content
        self.mark = mark
        self.tag = tag
    }

    /// The scalar's text exactly as libyaml delivered it (quotes removed, escapes applied), or nil.
    package var scalarText: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    /// True for an untagged plain scalar: the only kind whose type is resolved by the core schema.
    package var isPlainScalar: Bool {
        if case .scalar(_, .plain) = content { return tag == nil }
        return false
    }

    package var mappingEntries: [YAMLMappingEntry]? {
        if case .mapping(let entries) = content { return entries }
        return nil
    }

    package var sequenceItems: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }
}
