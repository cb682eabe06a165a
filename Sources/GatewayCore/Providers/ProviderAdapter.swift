import GatewayWire

/// Turns a client's OpenAI-format request into the request a provider expects, and knows the provider's
/// defaults (base URL, auth header). One adapter per wire dialect; the registry maps config names to them.
///
/// Usage:
/// ```swift
/// struct MyAdapter: ProviderAdapter {
///     let name = "my-provider"
///     func defaults(for kind: String) -> ProviderDefaults { .init(baseURL: "https://api.example.com/v1") }
///     func upstreamRequest(for target: Target, api: WireAPI, body: [UInt8], context: UpstreamContext)
///         throws(GatewayError) -> UpstreamRequest { ... }
/// }
/// ```
package protocol ProviderAdapter: Sendable {
    /// The adapter's name as shown in logs and `/v1/models` (`owned_by`).
    var name: String { get }
    /// Defaults for a target of this provider that leaves fields unset.
    func defaults(for provider: String) -> ProviderDefaults
    /// Builds the upstream request. `body` is the request JSON as the policy chain left it.
    func upstreamRequest(for target: Target, api: WireAPI, body: [UInt8], context: UpstreamContext)
        throws(GatewayError) -> UpstreamRequest
    /// A provider that answers in-process (the `echo` provider) returns its answer here; the router then
    /// treats it exactly like an upstream's. Nil (the default): send `upstreamRequest` over HTTP.
    func localAnswer(for target: Target, api: WireAPI, body: [UInt8], context: UpstreamContext) -> UpstreamResponse?
    /// True for an in-process provider: nothing to probe, no network.
    var answersLocally: Bool { get }

    /// The provider's 2xx JSON answer in OpenAI's chat completions shape (identity for OpenAI-format
    /// providers). Runs before the response policies, so they see what every other provider gives them.
    func translateAnswer(_ body: [UInt8], target: Target, context: UpstreamContext) throws(GatewayError) -> [UInt8]
    /// The provider's stream as OpenAI `chat.completion.chunk` SSE (identity for OpenAI-format providers).
    func translateStream(_ body: UpstreamBody, target: Target, context: UpstreamContext) -> UpstreamBody
    /// The provider's error answer as OpenAI's error shape, with the status the client should get.
    func translateError(status: Int, body: [UInt8]) -> (status: Int, body: [UInt8])
}

extension ProviderAdapter {
    package func localAnswer(for target: Target, api: WireAPI, body: [UInt8], context: UpstreamContext)
        -> UpstreamResponse?
    { nil }

    package var answersLocally: Bool { false }

    package func translateAnswer(_ body: [UInt8], target: Target, context: UpstreamContext) throws(GatewayError)
        -> [UInt8]
    { body }

    package func translateStream(_ body: UpstreamBody, target: Target, context: UpstreamContext) -> UpstreamBody {
        body
    }

    package func translateError(status: Int, body: [UInt8]) -> (status: Int, body: [UInt8]) { (status, body) }
}

/// Per-provider defaults, applied where the target leaves a field unset.
package struct ProviderDefaults: Sendable, Equatable {
    package var baseURL: String?
    package var apiKeyHeader: String = "authorization"
    package var apiKeyPrefix: String = "Bearer "
    /// Environment variable read when the target names no secret (the reference's auto-detection).
    package var defaultKeyEnv: String? = nil
    /// Whether the provider works without a key (local servers).
    package var keyOptional: Bool = false
}

/// What an adapter may need from the exchange besides the body.
package struct UpstreamContext: Sendable {
    package var requestID: String
    package var stream: Bool
    /// The client's own `Authorization` value, forwarded only when the target has no key of its own and
    /// the gateway has no client keys (pass-through mode).
    package var clientAuthorization: String?
    /// Headers policies set for the upstream request.
    package var policyHeaders: [(name: String, value: String)]
    /// A few client headers that upstreams understand (OpenAI-Organization, OpenAI-Project, OpenAI-Beta).
    package var forwardedHeaders: [(name: String, value: String)]
    /// W3C trace context (`traceparent`, `tracestate`) of the attempt's span, when tracing is on.
    package var traceHeaders: [(name: String, value: String)] = []
    /// The client asked for the usage chunk at the end of a stream (`stream_options.include_usage`).
    package var includeUsage = false
    /// The API of the exchange (translated providers answer chat and embeddings differently).
    package var api: WireAPI = .chatCompletions
    /// The request as the chain left it, for translations of the answer that depend on it (an embeddings
    /// answer's `encoding_format`).
    package var requestDocument: JSONDocument? = nil

    /// Forwarded headers that select whom a key bills: only sent with the client's own key, or when the
    /// target allows it (`forward_client_org_headers`).
    package static let organizationHeaders: Set<String> = ["openai-organization", "openai-project"]
}
