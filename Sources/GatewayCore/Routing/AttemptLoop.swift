import Foundation
import GatewayWire
import Logging
import PolicyABI
import Tracing

/// Runs one exchange's upstream attempts inside one deadline: picks the plan's targets in order, checks each
/// target's breaker, sends, classifies the outcome, retries a transient failure on the same target (backoff
/// with full jitter, or the wait the upstream asked for when it fits the deadline), then moves on to the next.
///
/// A JSON answer is read whole inside the attempt (a cut answer is a failed attempt, not a broken one); a
/// stream's first chunk is read inside it, so a stream that fails before its first event fails over invisibly;
/// after that chunk the exchange is committed to the target.
///
/// Usage:
/// ```swift
/// let result = await AttemptLoop(settings: providers, client: upstream, logger: logger).run(plan, request)
/// ```
package struct AttemptLoop: Sendable {
    package let settings: ProvidersConfig
    package let client: UpstreamClient
    package let logger: Logger
    /// The most a non-streamed answer (or an error body) may weigh.
    package static let maxAnswerBytes = 64 << 20
    static let maxErrorBodyBytes = 1 << 20

    package init(settings: ProvidersConfig, client: UpstreamClient, logger: Logger) {
        self.settings = settings
        self.client = client
        self.logger = logger
    }

    /// What the exchange asks of its attempts.
    package struct Request: Sendable {
        package var api: WireAPI
        /// The request JSON as the policy chain left it.
        package var body: [UInt8]
        package var document: JSONDocument
        package var stream: Bool
        package var context: UpstreamContext
        /// Monotonic nanoseconds by which an answer (JSON) or a stream's first chunk must have arrived.
        package var deadline: UInt64
        /// The exchange's spans: each attempt gets an `upstream.attempt` child whose context goes upstream.
        package var trace: ExchangeTrace? = nil
        /// A target's own rate limits: nil lets the attempt go; an error skips the target (like an
        /// unhealthy one) and is the answer when no candidate is left.
        package var admitTarget: (@Sendable (Target) async -> GatewayError?)? = nil
        /// Hands each attempt's cancel action to whoever may need to stop it (client gone, shutdown).
        package var registerCancel: @Sendable (@escaping @Sendable () -> Void) -> Void
        package var isAbandoned: @Sendable () -> Bool
    }

    /// How the exchange's attempts ended.
    package enum Result: Sendable {
        /// A 2xx answer: the whole JSON body, or a stream whose first chunk was read.
        case answered(Answer)
        /// The upstream refused the request itself (or every target failed and the last said why in HTTP):
        /// its status, headers and body go to the client as they are.
        case refused(status: Int, headers: [(name: String, value: String)], body: [UInt8], target: Target)
        case failed(GatewayError, pab_end_reason, target: Target?)
    }

    package struct Answer: Sendable {
        package var target: Target
        package var status: Int
        package var headers: [(name: String, value: String)]
        package var json: [UInt8]?
        package var stream: UpstreamBody?

        package func header(_ name: String) -> String? {
            headers.first { $0.name.equalsIgnoringASCIICase(name) }?.value
        }
    }

    package func run(_ plan: RoutePlan, _ request: Request, record: @Sendable (AttemptRecord) -> Void) async -> Result {
        var last: Result?
        for candidate in plan.candidates {
            let target = candidate.target
            if let admitTarget = request.admitTarget, let refusal = await admitTarget(target) {
                record(AttemptRecord(target: target.id, status: nil, outcome: "target_limited", latencyMs: 0))
                if last == nil { last = .failed(refusal, PAB_END_REJECTED, target: target) }
                continue
            }
            var body = request.body
            if let model = candidate.upstreamModel {
                body = rewriteModel(source: body, doc: request.document, to: model)
            }
            if target.dataPolicy.zeroDataRetention { body = Self.withStoreFalse(body) }
            if let limits = target.contextLimits {
                // Before any upstream call: trim the oldest turns to fit this target's window, or refuse.
                switch fitContext(body, limits: limits, api: request.api) {
                case .fits(let fitted):
                    body = fitted
                case .tooLong(let error):
                    record(AttemptRecord(target: target.id, status: nil, outcome: "context_too_long", latencyMs: 0))
                    last = .failed(error, PAB_END_REJECTED, target: target)
                    if target.contextOverflow == .nextTarget { continue }
                    return last!
                }
            }
            var retries = 0
            attempts: while true {
                let now = MonotonicClock.nanos()
                if request.isAbandoned() {
                    // The client left (or the gateway is stopping): no further attempt is worth making.
                    let (error, reason) = CompletionsHandler.map(.cancelled, target: target.id)
                    return .failed(error, reason, target: target)
                }
                guard now < request.deadline else {
                    return last
                        ?? .failed(
                            .upstreamTimeout(target.id, "the request deadline passed"), PAB_END_TIMEOUT, target: target)
                }
                guard target.health.breaker.admit(now: now) else {
                    record(AttemptRecord(target: target.id, status: nil, outcome: "breaker_open", latencyMs: 0))
                    last =
                        last
                        ?? .failed(
                            .noTarget("the circuit breaker of target '\(target.id)' is open"), PAB_END_UPSTREAM_ERROR,
                            target: target)
                    break attempts
                }
                let (outcome, result, retryAfter) = await attempt(target, body: body, request)
                let elapsed = MonotonicClock.nanos() &- now
                let status: Int? =
                    switch result {
                    case .answered(let answer): answer.status
                    case .refused(let status, _, _, _): status
                    case .failed: nil
                    }
                record(
                    AttemptRecord(
                        target: target.id, status: status, outcome: outcome.label, latencyMs: Int(elapsed / 1_000_000)))
                switch outcome {
                case .success:
                    target.health.breaker.record(success: true, now: MonotonicClock.nanos())
                    target.health.latency.record(milliseconds: Double(elapsed) / 1e6, now: MonotonicClock.nanos())
                    return result
                case .final:
                    if case .failed = result {
                        target.health.breaker.release()  // the client left: no verdict on the target
                    } else {
                        // The target answered (it is alive); the request itself was refused.
                        target.health.breaker.record(success: true, now: MonotonicClock.nanos())
                    }
                    return result
                case .nextTarget(let why):
                    target.health.breaker.record(success: false, now: MonotonicClock.nanos())
                    logger.warning("upstream \(target.id): \(why); trying the next target")
                    last = result
                    break attempts
                case .retryable(let failure):
                    target.health.breaker.record(success: false, now: MonotonicClock.nanos())
                    last = result
                    guard settings.retryOn.contains(failure) else { return result }
                    logger.warning("upstream \(target.id) failed (\(failure.rawValue)), attempt \(retries + 1)")
                    guard retries < settings.maxRetries else { break attempts }
                    let delay = retryAfter ?? backoff(retries)
                    let remaining = Double(request.deadline &- min(request.deadline, MonotonicClock.nanos())) / 1e9
                    // A wait that does not fit the deadline is not worth it: the next target is tried at once.
                    guard delay < remaining else { break attempts }
                    try? await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
                    retries += 1
                }
            }
        }
        return last ?? .failed(.noTarget("no target could be tried"), PAB_END_REJECTED, target: nil)
    }

    private enum Fit {
        case fits([UInt8])
        case tooLong(GatewayError)
    }

    /// `body` trimmed to `limits` (unchanged when it fits), or the 400 OpenAI answers a prompt too long for
    /// the model's window.
    private func fitContext(_ body: [UInt8], limits: ContextLimits, api: WireAPI) -> Fit {
        guard let document = try? JSONDocument(parsing: body) else { return .fits(body) }
        switch applyContextLimits(document, api: api, limits: limits) {
        case .unchanged:
            return .fits(body)
        case .trimmed(let newBody, let dropped, let tokens):
            logger.info("context trimmed: \(dropped) oldest messages dropped, about \(tokens) tokens left")
            return .fits(newBody)
        case .tooLong(let tokens, let limit):
            return .tooLong(
                GatewayError(
                    status: 400,
                    message: "This model's maximum context length is \(limit) tokens. However, your messages resulted"
                        + " in about \(tokens) tokens. Please reduce the length of the messages.",
                    type: "invalid_request_error", code: "context_length_exceeded",
                    param: api == .chatCompletions ? "messages" : "input"))
        }
    }

    /// Exponential backoff with full jitter: a uniform wait in [0, min(cap, base·2^retry)].
    private func backoff(_ retry: Int) -> Double {
        let ceiling = min(Double(settings.backoffMaxMs), Double(settings.backoffBaseMs) * pow(2, Double(retry)))
        return Double.random(in: 0...max(ceiling, 0)) / 1000
    }

    /// Requests to a zero-data-retention target carry `store: false` (replacing the client's value): the
    /// provider must not keep the exchange, whatever the client asked.
    static func withStoreFalse(_ body: [UInt8]) -> [UInt8] {
        guard let document = try? JSONDocument(parsing: body), document.root.kind == .object else { return body }
        return setMember(source: body, doc: document, key: "store", rawValue: "false")
    }

    /// One attempt on one target.
    private func attempt(_ target: Target, body: [UInt8], _ request: Request) async -> (
        AttemptOutcome, Result, Double?
    ) {
        guard let trace = request.trace else { return await send(target, body: body, request) }
        let span = trace.child("upstream.attempt", kind: .client)
        span.attributes["gatewayhost.target"] = target.id
        var traced = request
        traced.context.traceHeaders = trace.propagation(for: span)
        let (outcome, result, retryAfter) = await send(target, body: body, traced)
        switch result {
        case .answered(let answer): span.attributes["http.response.status_code"] = answer.status
        case .refused(let status, _, _, _): span.attributes["http.response.status_code"] = status
        case .failed(let error, _, _): span.attributes["error.type"] = error.code ?? error.type
        }
        span.attributes["gatewayhost.attempt.outcome"] = outcome.label
        if case .success = outcome {} else { span.setStatus(SpanStatus(code: .error)) }
        span.end()
        return (outcome, result, retryAfter)
    }

    private func send(_ target: Target, body: [UInt8], _ request: Request) async -> (
        AttemptOutcome, Result, Double?
    ) {
        let response: UpstreamResponse
        if let local = target.adapter.localAnswer(for: target, api: request.api, body: body, context: request.context) {
            response = local
        } else {
            var upstreamRequest: UpstreamRequest
            do {
                upstreamRequest = try target.adapter.upstreamRequest(
                    for: target, api: request.api, body: body, context: request.context)
            } catch {
                return (.nextTarget(error.message), .failed(error, PAB_END_REJECTED, target: target), nil)
            }
            let remaining = Double(request.deadline &- min(request.deadline, MonotonicClock.nanos())) / 1e9
            if !request.stream {
                upstreamRequest.totalTimeout = min(upstreamRequest.totalTimeout ?? remaining, remaining)
            }
            do {
                response = try await client.send(upstreamRequest) { cancel in request.registerCancel(cancel) }
            } catch {
                return failure(error, target: target, request)
            }
        }
        let retryAfter = FailureClassifier.retryDelay { response.header($0) }
        guard (200..<300).contains(response.status) else {
            let raw = (try? await response.collect(upTo: Self.maxErrorBodyBytes)) ?? []
            // A translated provider's error in OpenAI's shape, so clients and the classifier read one format.
            let (status, errorBody) = target.adapter.translateError(status: response.status, body: raw)
            let refused = Result.refused(status: status, headers: response.headers, body: errorBody, target: target)
            if (status == 401 || status == 403) && target.usesGatewayCredentials {
                return (.nextTarget("the upstream refused the gateway's key (HTTP \(response.status))"), refused, nil)
            }
            return (FailureClassifier.classify(status: status, body: errorBody), refused, retryAfter)
        }
        var answer = Answer(target: target, status: response.status, headers: response.headers)
        let contentType = (response.header("content-type") ?? "").lowercased()
        // Bedrock's ConverseStream answers AWS's binary event stream; its translator turns it into SSE.
        let isStream =
            request.stream
            && (contentType.hasPrefix("text/event-stream")
                || contentType.hasPrefix("application/vnd.amazon.eventstream"))
        if isStream {
            // The first chunk inside the attempt, bounded by the deadline: a stream that dies or stays silent
            // before its first event is a failed attempt, and the client never knows.
            let watchdog = Task {
                let wait = Double(request.deadline &- min(request.deadline, MonotonicClock.nanos())) / 1e9
                try await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
                response.body.cancel()
            }
            defer { watchdog.cancel() }
            let body = target.adapter.translateStream(response.body, target: target, context: request.context)
            var iterator = body.makeAsyncIterator()
            do {
                guard let first = try await iterator.next() else {
                    let error = GatewayError.streamCut(target.id)
                    return (.retryable(.connectError), .failed(error, PAB_END_UPSTREAM_ERROR, target: target), nil)
                }
                answer.stream = body.prepending(first)
            } catch {
                if case .cancelled = error, MonotonicClock.nanos() >= request.deadline {
                    return failure(.timedOut("no first event before the request deadline"), target: target, request)
                }
                return failure(error, target: target, request)
            }
        } else {
            let raw: [UInt8]
            do {
                raw = try await response.collect(upTo: Self.maxAnswerBytes)
            } catch {
                return failure(error, target: target, request)
            }
            do throws(GatewayError) {
                answer.json = try target.adapter.translateAnswer(raw, target: target, context: request.context)
            } catch {
                return (.retryable(.serverError), .failed(error, PAB_END_UPSTREAM_ERROR, target: target), nil)
            }
        }
        return (.success, .answered(answer), nil)
    }

    private func failure(_ error: UpstreamError, target: Target, _ request: Request) -> (
        AttemptOutcome, Result, Double?
    ) {
        let (gatewayError, reason) = CompletionsHandler.map(error, target: target.id)
        if case .cancelled = error { return (.final, .failed(gatewayError, reason, target: target), nil) }
        return (FailureClassifier.classify(error), .failed(gatewayError, reason, target: target), nil)
    }
}

/// One attempt, as plugins (PAB_ATTR_ATTEMPTS_JSON), the log and `x-gatewayhost-attempts` report it.
package struct AttemptRecord: Sendable, Equatable {
    package var target: String
    /// The upstream's HTTP status; nil when none came (connection error, timeout, skipped).
    package var status: Int?
    /// "success", "final", "retryable:<class>", "next_target", "breaker_open".
    package var outcome: String
    package var latencyMs: Int

    /// The attempt went to the upstream (not skipped for an open breaker or the target's own limits).
    package var reachedUpstream: Bool { outcome != "breaker_open" && outcome != "target_limited" }

    package var json: String {
        "{\"target\":\(jsonQuoted(target)),\"status\":\(status.map(String.init) ?? "null"),\"outcome\":\(jsonQuoted(outcome)),\"latency_ms\":\(latencyMs)}"
    }
}

extension AttemptOutcome {
    var label: String {
        switch self {
        case .success: "success"
        case .final: "final"
        case .retryable(let failure): "retryable:" + failure.rawValue
        case .nextTarget: "next_target"
        }
    }
}
