/// JSON Schema (what OpenAI takes for tool `parameters` and `response_format.json_schema`) → Gemini's
/// `Schema` (an OpenAPI 3.0 subset used by `functionDeclarations[].parameters` and
/// `generationConfig.responseSchema`).
///
/// Gemini answers 400 "Invalid JSON payload received. Unknown name ..." for any key its `Schema` message
/// lacks, so the conversion keeps only the keys Gemini knows and:
/// - drops keys that only restrict or annotate (`additionalProperties`, `$schema`, `$id`, `$comment`,
///   `strict`, `examples`, `exclusiveMinimum`, `uniqueItems`, `multipleOf`, `readOnly`, ...): the OpenAI
///   SDK and Pydantic emit them on every schema (`additionalProperties: false` for strict tools); without
///   them the model is told the same shape, it is just not validated as strictly;
/// - rewrites what has an equivalent: `type: ["string", "null"]` → `type: STRING, nullable: true`,
///   `const: x` → `enum: [x]`, `oneOf` → `anyOf`, type names upper-cased (Gemini's enum spelling);
/// - inlines local references (`$ref: "#/$defs/Name"` or `#/definitions/Name`), which Pydantic emits for
///   nested models; a recursive reference cannot be inlined;
/// - refuses (``TranslationError`` naming the key) what would change the shape if dropped: `allOf`, `not`,
///   `if`/`then`/`else`, a recursive or non-local `$ref`, `patternProperties`.
///
/// Usage:
/// ```swift
/// let schema = try GeminiSchema.convert(tool["function"]!["parameters"]!, param: "tools[0].function.parameters")
/// ```
package enum GeminiSchema {
    /// Keys of Gemini's `Schema` copied as they are (their values are not schemas).
    static let copiedKeys: Set<String> = [
        "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "required",
        "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example", "propertyOrdering",
        "default", "minimum", "maximum",
    ]

    /// Keys that cannot be dropped without changing the schema's meaning.
    static let refusedKeys: Set<String> = [
        "allOf", "not", "if", "then", "else", "patternProperties", "dependentSchemas",
    ]

    /// Deepest `$ref` expansion: beyond it the schema is taken as recursive.
    static let maxReferenceDepth = 32

    /// The Gemini form of the JSON Schema `schema`; `param` names it in errors.
    package static func convert(_ schema: JSONValue, param: String) throws(TranslationError) -> WireJSON {
        try convert(schema, root: schema, param: param, depth: 0)
    }

    private static func convert(_ schema: JSONValue, root: JSONValue, param: String, depth: Int)
        throws(TranslationError) -> WireJSON
    {
        // `true` / `{}` (anything): Gemini has no "any" schema; an object without properties is closest.
        if schema.bool == true { return .object([]) }
        guard schema.kind == .object else {
            throw TranslationError("a JSON schema must be an object", param: param)
        }
        if let reference = schema["$ref"] {
            let target = try resolve(reference, root: root, param: param + ".$ref")
            guard depth < maxReferenceDepth else {
                throw TranslationError(
                    "recursive schema references cannot be expressed for Gemini", param: param + ".$ref")
            }
            return try convert(target, root: root, param: param, depth: depth + 1)
        }
        var members: [(String, WireJSON)] = []
        var nullable = false
        for member in WireJSON.lastMembers(of: schema) {
            let key = member.name
            let value = member.value
            let here = param + "." + key
            if refusedKeys.contains(key) {
                throw TranslationError("the JSON schema keyword '\(key)' cannot be expressed for Gemini", param: here)
            }
            switch key {
            case "type":
                let (type, isNullable) = try geminiType(value, param: here)
                if let type { members.append(("type", .string(type))) }
                nullable = nullable || isNullable
            case "properties":
                guard value.kind == .object else { throw TranslationError("properties must be an object", param: here) }
                var properties: [(String, WireJSON)] = []
                for property in WireJSON.lastMembers(of: value) {
                    properties.append(
                        (
                            property.name,
                            try convert(property.value, root: root, param: here + "." + property.name, depth: depth)
                        ))
                }
                members.append(("properties", .object(properties)))
            case "items":
                // Tuple validation (`items: [...]`) has no Gemini form.
                guard value.kind == .object || value.bool == true else {
                    throw TranslationError("only a single schema for 'items' can be expressed for Gemini", param: here)
                }
                members.append(("items", try convert(value, root: root, param: here, depth: depth)))
            case "anyOf", "oneOf":
                guard value.kind == .array else { throw TranslationError("\(key) must be an array", param: here) }
                var options: [WireJSON] = []
                var index = 0
                for option in value.items {
                    // `{"type": "null"}` among the options is Gemini's `nullable`.
                    if option["type"]?.stringEquals("null") == true && option.count == 1 {
                        nullable = true
                    } else {
                        options.append(try convert(option, root: root, param: "\(here)[\(index)]", depth: depth))
                    }
                    index += 1
                }
                if options.count == 1, case .object(let only) = options[0] {
                    members.append(contentsOf: only)
                } else if !options.isEmpty {
                    members.append(("anyOf", .array(options)))
                }
            case "const":
                members.append(("enum", .array([.copy(value)])))
            case "nullable":
                nullable = nullable || value.bool == true
            default:
                if copiedKeys.contains(key) { members.append((key, .copy(value))) }
            // Anything else annotates or restricts without changing the shape (see the type's comment).
            }
        }
        if nullable { members.append(("nullable", .bool(true))) }
        return .object(members)
    }

    /// Gemini's type name for a JSON Schema `type` (a name or a list with "null"), and whether "null" was
    /// allowed.
    private static func geminiType(_ value: JSONValue, param: String) throws(TranslationError) -> (String?, Bool) {
        if let name = value.string {
            return name == "null" ? ("NULL", false) : (try typeName(name, param: param), false)
        }
        guard value.kind == .array else { throw TranslationError("type must be a string or an array", param: param) }
        var names: [String] = []
        var nullable = false
        for item in value.items {
            guard let name = item.string else { throw TranslationError("type names must be strings", param: param) }
            if name == "null" { nullable = true } else { names.append(name) }
        }
        guard names.count <= 1 else {
            throw TranslationError(
                "a schema with several types cannot be expressed for Gemini (use anyOf)", param: param)
        }
        return (try names.first.map { name throws(TranslationError) in try typeName(name, param: param) }, nullable)
    }

    private static func typeName(_ name: String, param: String) throws(TranslationError) -> String {
        switch name {
        case "string", "number", "integer", "boolean", "array", "object": return name.uppercased()
        default: throw TranslationError("unknown JSON schema type '\(name)'", param: param)
        }
    }

    /// The schema a local reference (`#/$defs/Name`, `#/definitions/Name`, `#`) points at.
    private static func resolve(_ reference: JSONValue, root: JSONValue, param: String) throws(TranslationError)
        -> JSONValue
    {
        guard let text = reference.string, text.hasPrefix("#") else {
            throw TranslationError(
                "only local schema references (#/$defs/...) can be expressed for Gemini", param: param)
        }
        var current = root
        for token in text.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            // JSON Pointer escapes (RFC 6901).
            let name = token.replacingOccurrences("~1", with: "/").replacingOccurrences("~0", with: "~")
            guard let next = current[name] else {
                throw TranslationError("the schema reference '\(text)' points at nothing", param: param)
            }
            current = next
        }
        return current
    }
}

extension Substring {
    /// `self` with every `target` replaced (the stdlib has no such method without Foundation).
    fileprivate func replacingOccurrences(_ target: String, with replacement: String) -> String {
        String(self).replacingOccurrences(target, with: replacement)
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
