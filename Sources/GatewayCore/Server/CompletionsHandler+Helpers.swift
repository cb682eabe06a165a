import GatewayWire
import HTTPTypes
import Hummingbird
import Logging
import PolicyABI

/// Error mapping and header helpers of `CompletionsHandler`.
extension CompletionsHandler {
    /// Routing's check of a target's own limits; nil when no target has any.
    func targetAdmission(exchange: Exchange, estimate: RequestEstimate, clientID: String)
        -> (@Sendable (Target) async -> GatewayError?)?
    {
        guard runtime.hasTargetLimits else { return nil }
        let limiter = runtime.limiter
        let tokens = estimate.promptTokens + estimate.completionTokens
        return { target in
            var taken =
                exchange.state.withLock { $0.limitAdmission }
                ?? UsageLimiter.Admission(estimatedTokens: tokens, client: clientID)
            let refusal = await limiter.admitTarget(target, tokens: tokens, into: &taken)
            exchange.state.withLock { $0.limitAdmission = taken }
            return refusal
        }
    }

    package func map(_ error: UpstreamError, target: String) -> (GatewayError, pab_end_reason) {
        if case .cancelled = error, runtime.stopping.isStopping { return (.shuttingDown, PAB_END_HOST_SHUTDOWN) }
        return Self.map(error, target: target)
    }

    package static func map(_ error: UpstreamError, target: String) -> (GatewayError, pab_end_reason) {
        switch error {
        case .couldNotConnect(let detail): (.upstreamUnreachable(target, detail), PAB_END_UPSTREAM_ERROR)
        case .timedOut(let detail): (.upstreamTimeout(target, detail), PAB_END_TIMEOUT)
        case .transfer(let detail): (.upstreamUnreachable(target, detail), PAB_END_UPSTREAM_ERROR)
        case .tooLarge:
            (
                GatewayError(
                    status: 502,
                    message: "Upstream target '\(target)' sent an answer larger than \(maxUpstreamBodyBytes) bytes.",
                    type: "upstream_error", code: "upstream_too_large"), PAB_END_UPSTREAM_ERROR
            )
        case .cancelled: (.upstreamUnreachable(target, "cancelled"), PAB_END_CLIENT_DISCONNECT)
        }
    }

    package static func headerList(_ headers: HTTPFields) -> [(name: String, value: String)] {
        headers.map { (name: $0.name.canonicalName, value: $0.value) }
    }

    /// Client headers OpenAI-style upstreams understand and that carry no gateway credentials.
    package static let forwardedHeaderNames: [String] = ["openai-organization", "openai-project", "openai-beta"]

    package static func forwardable(_ headers: HTTPFields) -> [(name: String, value: String)] {
        forwardedHeaderNames.compactMap { name in
            HTTPField.Name(name).flatMap { headers[$0] }.map { (name: name, value: $0) }
        }
    }
}

extension HTTPField.Name {
    package static let xRequestID = HTTPField.Name("x-request-id")!
    /// The id of the provider target that served (or was chosen for) the exchange.
    package static let xGatewayTarget = HTTPField.Name("x-gatewayhost-target")!
    /// How many upstream attempts the exchange made (retries and fallbacks included).
    package static let xGatewayAttempts = HTTPField.Name("x-gatewayhost-attempts")!
    /// The config generation that served the exchange (1 at start, one more per successful reload).
    package static let xGatewayGeneration = HTTPField.Name("x-gatewayhost-generation")!
}

extension Logger {
    package func with(requestID: String) -> Logger {
        var logger = self
        logger[metadataKey: "request_id"] = .string(requestID)
        return logger
    }
}
