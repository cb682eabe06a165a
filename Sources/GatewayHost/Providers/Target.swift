/// A provider target ready for routing: the config's target with its provider resolved, its defaults
/// applied and its secret read. Immutable.
struct Target: Sendable {
    enum Serves: Sendable, Equatable {
        case both
        case only(WireAPI)

        func includes(_ api: WireAPI) -> Bool {
            if case .only(let one) = self { return one == api }
            return true
        }
    }

    let id: String
    /// The provider as configured (`openai`, `azure-openai`, `ollama`, ...), after shorthand parsing.
    let provider: String
    let adapter: any ProviderAdapter
    /// The upstream model (Azure: the deployment name).
    let model: String
    let serves: Serves
    let baseURL: String
    let apiKeyHeader: String
    let apiKeyPrefix: String
    let secret: Secret?
    let apiVersion: String?
    let headers: [(name: String, value: String)]
    let timeoutSeconds: Double
    let streamTimeoutSeconds: Double
    let weight: Double
    let pricing: (prompt: Double, completion: Double)?
    /// See `TargetConfig.forwardClientOrgHeaders`.
    let forwardClientOrgHeaders: Bool
    /// Why the target cannot be used (a missing key); nil when usable.
    let unavailableReason: String?

    var isLocal: Bool { adapter is EchoAdapter }

    /// The `Authorization`-style header for this target, when it has a key.
    var authHeader: (name: String, value: String)? {
        guard let secret else { return nil }
        return (apiKeyHeader, apiKeyPrefix + secret.reveal)
    }

    /// `base/path`, with exactly one slash between them.
    func url(_ path: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + (path.hasPrefix("/") ? path : "/" + path)
    }
}
