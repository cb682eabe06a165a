import GatewayWire

/// A provider target ready for routing: the config's target with its provider resolved, its defaults
/// applied and its secret read. Immutable.
package struct Target: Sendable {
    package enum Serves: Sendable, Equatable {
        case both
        case only(WireAPI)

        package func includes(_ api: WireAPI) -> Bool {
            if case .only(let one) = self { return one == api }
            return true
        }
    }

    package let id: String
    /// The provider as configured (`openai`, `azure-openai`, `ollama`, ...), after shorthand parsing.
    package let provider: String
    package let adapter: any ProviderAdapter
    /// The upstream model (Azure: the deployment name).
    package let model: String
    package let serves: Serves
    package let baseURL: String
    package let apiKeyHeader: String
    package let apiKeyPrefix: String
    package let secret: Secret?
    package let apiVersion: String?
    package let headers: [(name: String, value: String)]
    package let timeoutSeconds: Double
    package let streamTimeoutSeconds: Double
    package let weight: Double
    package let pricing: (prompt: Double, completion: Double)?
    /// See `TargetConfig.forwardClientOrgHeaders`.
    package let forwardClientOrgHeaders: Bool
    /// Why the target cannot be used (a missing key); nil when usable.
    package let unavailableReason: String?

    /// The `Authorization`-style header for this target, when it has a key.
    package var authHeader: (name: String, value: String)? {
        guard let secret else { return nil }
        return (apiKeyHeader, apiKeyPrefix + secret.reveal)
    }

    /// `base/path`, with exactly one slash between them.
    package func url(_ path: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + (path.hasPrefix("/") ? path : "/" + path)
    }
}
