/// OpenAI `/v1/embeddings` ↔ Gemini `batchEmbedContents`
/// (`POST {base}/v1beta/models/{model}:batchEmbedContents`).
///
/// Request: `{input: string | [string], model, dimensions?, encoding_format?, user?}` →
/// `{requests: [{model: "models/<m>", content: {parts: [{text}]}, outputDimensionality?}]}`, one request
/// per input string, in order. Token-id input (`[1, 2]`, `[[1, 2]]`) has no Gemini form and is refused, as
/// is any unknown field.
///
/// Answer: `{embeddings: [{values: [...]}]}` → `{object: "list", data: [{object: "embedding", index,
/// embedding}], model, usage: {prompt_tokens, total_tokens}}`. The embedding is the float list, or, with
/// `encoding_format: "base64"` (what the OpenAI Python SDK asks for when the caller did not choose), the
/// base64 of the values as little-endian float32, as OpenAI sends it. Gemini reports no token count for
/// embeddings: usage is the gateway's estimate of the input texts (``estimateTextTokens(_:vocabulary:)``),
/// unless the answer carries `usageMetadata.promptTokenCount`.
///
/// Usage:
/// ```swift
/// let embeddings = GeminiEmbeddings()
/// let upstreamBody = try embeddings.request(document, model: "text-embedding-004")
/// let answer = try embeddings.response(geminiBody, model: "text-embedding-004", request: document)
/// ```
package struct GeminiEmbeddings: Sendable {
    static let knownFields: Set<String> = ["input", "model", "dimensions", "encoding_format", "user"]

    package init() {}

    /// The `batchEmbedContents` body for an OpenAI embeddings request.
    package func request(_ document: JSONDocument, model: String) throws(TranslationError) -> [UInt8] {
        let root = document.root
        guard root.kind == .object else { throw TranslationError("the request body must be a JSON object") }
        for member in root.members {
            let key = member.key.string ?? ""
            if !Self.knownFields.contains(key) && !member.value.isNull {
                throw TranslationError("'\(key)' is not supported for Gemini embeddings", param: key)
            }
        }
        let texts = try Self.inputs(root)
        _ = try Self.encoding(root)
        var dimensions: Int?
        if let value = root["dimensions"], !value.isNull {
            guard let int = value.int, int > 0 else {
                throw TranslationError("dimensions must be a positive integer", param: "dimensions")
            }
            dimensions = int
        }
        let modelPath = model.hasPrefix("models/") ? model : "models/" + model
        let requests: [WireJSON] = texts.map { text in
            var request: [(String, WireJSON)] = [
                ("model", .string(modelPath)),
                ("content", .object([("parts", .array([.object([("text", .string(text))])]))])),
            ]
            if let dimensions { request.append(("outputDimensionality", .int(dimensions))) }
            return .object(request)
        }
        return WireJSON.object([("requests", .array(requests))]).bytes
    }

    /// The OpenAI answer for Gemini's `batchEmbedContents` (or `embedContent`: `{embedding: {values}}`)
    /// answer. `request` is the client's request: it decides the encoding and the usage estimate (without
    /// it: floats, usage 0).
    package func response(_ body: [UInt8], model: String, request: JSONDocument? = nil) throws(TranslationError)
        -> [UInt8]
    {
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: body)
        } catch {
            throw TranslationError("the Gemini embeddings answer is not JSON: \(error.message)")
        }
        let root = document.root
        var vectors: [JSONValue] = []
        if let list = root["embeddings"], list.kind == .array {
            for item in list.items { vectors.append(item) }
        } else if let single = root["embedding"] {
            vectors.append(single)
        } else {
            throw TranslationError("the Gemini embeddings answer has no embeddings")
        }
        let base64 =
            try request.map { document throws(TranslationError) in try Self.encoding(document.root) } == "base64"
        var data: [WireJSON] = []
        for (index, vector) in vectors.enumerated() {
            guard let values = vector["values"], values.kind == .array else {
                throw TranslationError("a Gemini embedding has no values")
            }
            let embedding: WireJSON
            if base64 {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(values.count * 4)
                for value in values.items {
                    guard let double = value.double else {
                        throw TranslationError("a Gemini embedding value is not a number")
                    }
                    let bits = Float(double).bitPattern
                    bytes.append(contentsOf: [
                        UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24),
                    ])
                }
                embedding = .string(Self.base64(bytes))
            } else {
                guard values.items.allSatisfy({ $0.kind == .number }) else {
                    throw TranslationError("a Gemini embedding value is not a number")
                }
                embedding = .copy(values)
            }
            data.append(.object([("object", .string("embedding")), ("index", .int(index)), ("embedding", embedding)]))
        }
        var promptTokens = root["usageMetadata"]?["promptTokenCount"]?.int
        if promptTokens == nil, let request {
            promptTokens = ((try? Self.inputs(request.root)) ?? []).reduce(0) { $0 + estimateTextTokens($1) }
        }
        let tokens = promptTokens ?? 0
        return WireJSON.object([
            ("object", .string("list")), ("data", .array(data)), ("model", .string(model)),
            ("usage", .object([("prompt_tokens", .int(tokens)), ("total_tokens", .int(tokens))])),
        ]).bytes
    }

    // MARK: - Request fields

    /// The input strings, in order.
    static func inputs(_ root: JSONValue) throws(TranslationError) -> [String] {
        guard let input = root["input"], !input.isNull else {
            throw TranslationError("input is required", param: "input")
        }
        if let text = input.string { return [text] }
        guard input.kind == .array, input.count > 0 else {
            throw TranslationError("input must be a string or a non-empty array of strings", param: "input")
        }
        var texts: [String] = []
        var index = 0
        for item in input.items {
            guard let text = item.string else {
                throw TranslationError(
                    "Gemini embeds text only: token-id input cannot be sent to Gemini", param: "input[\(index)]")
            }
            texts.append(text)
            index += 1
        }
        return texts
    }

    /// `float` (the default) or `base64`.
    static func encoding(_ root: JSONValue) throws(TranslationError) -> String {
        guard let value = root["encoding_format"], !value.isNull else { return "float" }
        guard let format = value.string, format == "float" || format == "base64" else {
            throw TranslationError("encoding_format must be float or base64", param: "encoding_format")
        }
        return format
    }

    /// Standard base64 (RFC 4648, with padding).
    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            output.append(alphabet[Int(triple >> 18 & 63)])
            output.append(alphabet[Int(triple >> 12 & 63)])
            output.append(index + 1 < bytes.count ? alphabet[Int(triple >> 6 & 63)] : UInt8(ascii: "="))
            output.append(index + 2 < bytes.count ? alphabet[Int(triple & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
