import GatewayWire
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PolicyABI

/// `POST /v1/chat/completions` and `POST /v1/responses`: authenticate, read and check the body once, run
/// the request through the policy chain, route it to a target, relay the answer (JSON or SSE) back
/// through the chain. Every exit path ends the chain run exactly once.
package struct CompletionsHandler: Sendable {
    /// The exchange's config generation (held by `lease` until the exchange ends).
    package let lease: RuntimeLease
    package let api: WireAPI
    package let logger: Logger

    package var runtime: GatewayRuntime { lease.runtime }

    package init(lease: RuntimeLease, api: WireAPI, logger: Logger) {
        self.lease = lease
        self.api = api
        self.logger = logger
    }

    /// The most a non-streamed upstream answer may weigh before the gateway refuses it.
    package static let maxUpstreamBodyBytes = 64 << 20

    package func handle(_ request: Request, context: GatewayRequestContext) async -> Response {
        let connection = context.connection
        let requestID = RequestIdentity.id(fromClientHeader: request.headers[.xRequestID])
        let startNanos = MonotonicClock.nanos()
        var clientID = "anonymous"
        var bytesIn = 0
        /// An answer before the chain started: reported as a refusal (metrics, status page, access log).
        func refuse(_ error: GatewayError) -> Response {
            ExchangeReport.refused(
                requestID: requestID, route: request.uri.path, clientID: clientID, status: error.status,
                code: error.code, bytesIn: bytesIn, startNanos: startNanos, runtime: runtime)
            var response = error.response(requestID: requestID)
            response.headers[.xGatewayGeneration] = String(runtime.generation)
            return response
        }
        guard let slot = runtime.traffic.admit() else {
            logger.with(requestID: requestID).warning(
                "refused: \(runtime.traffic.limits.maxInflightRequests) requests in flight (max_inflight_requests)")
            return refuse(.overloaded)
        }
        defer { withExtendedLifetime(slot) {} }
        let authorization = request.headers[.authorization]
        if !runtime.clientKeys.isEmpty {
            guard let id = runtime.clientKeys.clientID(forAuthorization: authorization) else {
                let count = runtime.services.authFailures.wrappingAdd(1, ordering: .relaxed).newValue
                runtime.services.metrics.clientAuthFailure()
                logger.with(requestID: requestID).warning(
                    "client authentication failed: \(ClientKeyring.describe(presented: authorization))",
                    metadata: [
                        "client_ip": .string(context.remoteAddress), "auth_failures_total": .stringConvertible(count),
                    ])
                return refuse(.unauthorized)
            }
            clientID = id
        }

        let limit = runtime.config.gateway.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            return refuse(.bodyTooLarge(limit: limit))
        }
        var request = request
        let bytes: [UInt8]
        do {
            bytes = Array(try await request.collectBody(upTo: limit).readableBytesView)
        } catch is NIOTooManyBytesError {
            return refuse(.bodyTooLarge(limit: limit))
        } catch {
            return refuse(
                GatewayError(
                    status: 400, message: "The request body could not be read: the connection failed.",
                    type: "invalid_request_error", code: "body_read_failed"))
        }
        bytesIn = bytes.count

        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: bytes)
        } catch {
            return refuse(.invalidJSON(error.message))
        }
        if let invalid = validateRequest(document, api: api) {
            var error = GatewayError.validation(invalid.message, param: invalid.param)
            error.code = invalid.code
            return refuse(error)
        }
        let model = requestModel(in: document) ?? ""
        // Embeddings answers never stream, whatever the body says.
        let stream = api != .embeddings && requestStream(in: document)
        let headers = Self.headerList(request.headers)
        // The prompt counted with the tokenizer estimate where a count matters (limits, and streams, whose
        // usage is estimated when they are cut); else the byte estimate, which costs nothing.
        var estimate = RequestEstimate(document: document, api: api)
        if stream || runtime.limiter.isActive || runtime.hasTargetLimits {
            estimate.promptTokens = estimatePromptTokens(document, api: api)
        }
        // Budgets and rate limits, before any plugin or upstream works on the request.
        var admission: UsageLimiter.Admission?
        if runtime.limiter.isActive {
            switch await runtime.limiter.admit(
                client: clientID, tokens: estimate.promptTokens + estimate.completionTokens)
            {
            case .admitted(let admitted): admission = admitted
            case .refused(let error, let limitHeaders):
                logger.with(requestID: requestID).info("refused by limits: \(error.code ?? error.type)")
                var response = refuse(error)
                for (name, value) in limitHeaders {
                    if let field = HTTPField.Name(name) { response.headers[field] = value }
                }
                return response
            }
        }

        let exchange = Exchange(
            requestID: requestID, route: request.uri.path, api: api, model: model, clientID: clientID,
            clientIP: context.remoteAddress, stream: stream, packName: runtime.config.pack.name,
            packVersion: runtime.config.pack.version, requestHeaders: headers, startNanos: startNanos,
            candidates: { [pool = runtime.pool] model in pool.candidateTargets(model: model) },
            trace: runtime.services.tracer.map { ExchangeTrace(tracer: $0, route: request.uri.path, headers: headers) })
        exchange.state.withLock {
            $0.bytesIn = bytes.count
            $0.estimate = estimate
            $0.limitAdmission = admission
            $0.responseHeaders += admission?.headers ?? []
        }
        if let trace = exchange.trace {
            trace.set("gatewayhost.request_id", requestID)
            trace.set("gatewayhost.client_id", clientID)
            trace.set("gen_ai.request.model", model)
        }
        let run = runtime.chain.start(exchange)
        let ticket = ExchangeTicket(run: run, slot: slot, lease: lease)
        defer { withExtendedLifetime(ticket) {} }

        let requestSpan = exchange.trace?.child("policies.request")
        let requestResult = await run.request(PhaseBody(bytes: bytes, segmentPhase: .request(api), document: document))
        requestSpan?.end()
        switch requestResult.decision {
        case .proceed: break
        case .deny(let policy, let payload):
            await run.end(PAB_END_DENIED, status: payload.status)
            logger.with(requestID: requestID).info("request blocked by policy \(policy) (\(payload.code))")
            return respond(GatewayError.policyBlocked(policy: policy, payload: payload), exchange: exchange)
        case .failure(let policy, _):
            await run.end(PAB_END_POLICY_ERROR, status: 503)
            return respond(GatewayError.policyFailed(policy: policy), exchange: exchange)
        }
        // Routing comes after the chain: a policy's change to `model` (or to the body) counts.
        let policyBody = requestResult.changed ? requestResult.body : nil
        var upstreamBytes = policyBody?.bytes ?? bytes
        var upstreamDocument = policyBody?.document ?? document
        // Exact usage for every streamed chat answer: ask the upstream for it even when the client did not
        // (the relay then hides that usage from the client, who sees what it would have seen).
        let clientAskedUsage = upstreamDocument.root["stream_options"]?["include_usage"]?.bool == true
        if api == .chatCompletions && stream && !clientAskedUsage,
            let asked = StreamUsageRequest.asking(upstreamBytes, document: upstreamDocument)
        {
            upstreamBytes = asked.bytes
            upstreamDocument = asked.document
            exchange.state.withLock { $0.hideUsageChunk = true }
        }
        let routedModel = requestModel(in: upstreamDocument) ?? model
        let plan: RoutePlan
        do {
            plan = try runtime.pool.plan(
                model: routedModel, api: api, estimate: RequestEstimate(document: upstreamDocument, api: api),
                excluded: exchange.state.withLock { $0.excludedTargets },
                clientRequirements: runtime.clientKeys.requirements[clientID])
        } catch {
            await run.end(PAB_END_REJECTED, status: error.status)
            return respond(error, exchange: exchange)
        }

        let deadlineSeconds = runtime.config.gateway.requestTimeoutSeconds
        let attempts = AttemptLoop.Request(
            api: api, body: upstreamBytes, document: upstreamDocument, stream: stream,
            context: UpstreamContext(
                requestID: requestID, stream: stream,
                clientAuthorization: runtime.clientKeys.isEmpty ? authorization : nil,
                policyHeaders: exchange.state.withLock { $0.upstreamHeaders },
                forwardedHeaders: Self.forwardable(request.headers),
                includeUsage: stream && api == .chatCompletions, api: api,
                requestDocument: api == .embeddings ? upstreamDocument : nil),
            deadline: MonotonicClock.nanos() &+ UInt64(max(deadlineSeconds, 0.001) * 1e9), trace: exchange.trace,
            admitTarget: targetAdmission(exchange: exchange, estimate: estimate, clientID: clientID),
            registerCancel: { cancel in
                connection?.onClientGone(cancel)
                ticket.stopWith(cancel)
            },
            isAbandoned: { connection?.isGone == true || ticket.isStopping })
        let attemptLogger = logger.with(requestID: requestID)
        let outcome = await runtime.attempts.run(plan, attempts) { attempt in
            // Every attempt is logged (failures also at warning level by the loop, with their class).
            attemptLogger.debug(
                "attempt target=\(attempt.target) status=\(attempt.status.map(String.init) ?? "-") outcome=\(attempt.outcome) latency_ms=\(attempt.latencyMs)"
            )
            exchange.state.withLock {
                $0.attempts.append(attempt)
                $0.targetID = attempt.target
            }
        }
        switch outcome {
        case .answered(let answer):
            exchange.state.withLock {
                $0.targetID = answer.target.id
                $0.upstreamResponseHeaders = answer.headers
                $0.priceTable = answer.target.priceTable
            }
            let contentType = answer.header("content-type") ?? "application/json"
            if let body = answer.stream {
                if runtime.chain.needsFullStream {
                    return await bufferedStream(body, ticket: ticket, target: answer.target)
                }
                return streamResponse(.upstream(body), ticket: ticket, target: answer.target)
            }
            return await finishJSON(
                answer.json ?? [], status: answer.status, contentType: contentType, run: run, target: answer.target)
        case .refused(let status, let headers, let body, let target):
            exchange.state.withLock { $0.upstreamResponseHeaders = headers }
            return await upstreamError(status: status, headers: headers, body: body, run: run, target: target)
        case .failed(let error, let reason, _):
            await run.end(reason, status: error.status)
            logger.with(requestID: requestID).warning("upstream failed: \(error.message)")
            return respond(error, exchange: exchange)
        }
    }

    // MARK: - answers

    /// A non-streamed 2xx answer: through on_response, then to the client.
    private func finishJSON(_ body: [UInt8], status: Int, contentType: String, run: ChainRun, target: Target) async
        -> Response
    {
        let exchange = run.exchange
        exchange.state.withLock { $0.answerBody = body }
        var output = body
        if runtime.chain.hasResponseHooks {
            let span = exchange.trace?.child("policies.response")
            let result = await run.response(
                PhaseBody(bytes: body, segmentPhase: .response(api)), status: status, contentType: contentType,
                endsExchange: true)
            span?.end()
            switch result.decision {
            case .proceed:
                if result.changed, let changed = result.body { output = changed.bytes }
            case .deny(let policy, let payload):
                await run.end(PAB_END_DENIED, status: payload.status)
                return respond(GatewayError.policyBlocked(policy: policy, payload: payload), exchange: exchange)
            case .failure(let policy, _):
                await run.end(PAB_END_POLICY_ERROR, status: 503)
                return respond(GatewayError.policyFailed(policy: policy), exchange: exchange)
            }
        }
        await run.end(PAB_END_COMPLETED, status: status)
        var headers = responseHeaders(exchange: exchange, target: target)
        headers[.contentType] = contentType
        exchange.state.withLock {
            $0.firstByteNanos = MonotonicClock.nanos()
            $0.bytesOut = output.count
        }
        return Response(
            status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: output)))
    }

    /// Upstream headers a client needs to act on an upstream 4xx: when to retry, and the provider's
    /// rate-limit state (SDKs honour `retry-after` / `retry-after-ms`).
    package static let relayedErrorHeaders = [
        "retry-after", "retry-after-ms", "x-ratelimit-limit-requests", "x-ratelimit-limit-tokens",
        "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-requests",
        "x-ratelimit-reset-tokens",
    ]

    /// An upstream error answer. 4xx bodies reach the client unchanged (the client's request was wrong),
    /// with the retry and rate-limit headers; 5xx become a gateway 502 so upstream internals are not relayed.
    /// A 401/403 to the gateway's own key is the operator's problem: 502 `upstream_auth_failed`, the
    /// provider's body (which names the key, masked) logged and not relayed.
    private func upstreamError(
        status: Int, headers upstreamHeaders: [(name: String, value: String)], body: [UInt8], run: ChainRun,
        target: Target
    ) async -> Response {
        func header(_ name: String) -> String? {
            upstreamHeaders.first { $0.name.equalsIgnoringASCIICase(name) }?.value
        }
        if (status == 401 || status == 403) && target.usesGatewayCredentials {
            let detail = (try? JSONDocument(parsing: body))?.root["error"]?["message"]?.string ?? "(no message)"
            logger.with(requestID: run.exchange.requestID).error(
                "upstream \(target.id) refused the gateway's key (HTTP \(status)): \(ConfigDecoder.abbreviate(detail))")
            let error = GatewayError.upstreamAuthFailed(target.id, status: status)
            await run.end(PAB_END_UPSTREAM_ERROR, status: error.status)
            return respond(error, exchange: run.exchange)
        }
        await run.end(PAB_END_UPSTREAM_ERROR, status: status < 500 ? status : 502)
        guard status < 500 else { return respond(.upstreamFailed(target.id, status: status), exchange: run.exchange) }
        run.exchange.state.withLock {
            $0.errorCode = "upstream_\(status)"
            $0.firstByteNanos = MonotonicClock.nanos()
            $0.bytesOut = body.count
        }
        var headers = responseHeaders(exchange: run.exchange, target: target)
        headers[.contentType] = header("content-type") ?? "application/json"
        for name in Self.relayedErrorHeaders {
            if let value = header(name), let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// A policy declared PAB_CAP_NEEDS_FULL_STREAM: the whole stream is read first, passes on_response as
    /// one SSE text (a deny can still use a real status), then goes out through the per-event hooks.
    private func bufferedStream(_ body: UpstreamBody, ticket: ExchangeTicket, target: Target) async -> Response {
        let run = ticket.run
        let all: [UInt8]
        do {
            all = try await UpstreamResponse(status: 200, headers: [], body: body).collect(
                upTo: Self.maxUpstreamBodyBytes)
        } catch {
            let (gatewayError, reason) = map(error, target: target.id)
            await run.end(reason, status: gatewayError.status)
            return respond(gatewayError, exchange: run.exchange)
        }
        let result = await run.response(
            PhaseBody(bytes: all, segmentPhase: nil), status: 200, contentType: "text/event-stream")
        switch result.decision {
        case .proceed:
            let bytes = result.changed ? (result.body?.bytes ?? all) : all
            return streamResponse(.local(bytes), ticket: ticket, target: target)
        case .deny(let policy, let payload):
            await run.end(PAB_END_DENIED, status: payload.status)
            return respond(GatewayError.policyBlocked(policy: policy, payload: payload), exchange: run.exchange)
        case .failure(let policy, _):
            await run.end(PAB_END_POLICY_ERROR, status: 503)
            return respond(GatewayError.policyFailed(policy: policy), exchange: run.exchange)
        }
    }

    /// The streamed answer. Its body closure holds the exchange's ticket: when the server drops the body
    /// without running it (the client left first), the ticket still ends the exchange.
    private func streamResponse(_ source: StreamSource, ticket: ExchangeTicket, target: Target) -> Response {
        let run = ticket.run
        var headers = responseHeaders(exchange: run.exchange, target: target)
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("x-accel-buffering")!] = "no"
        let relay = StreamRelay(
            run: run, api: api, targetID: target.id, stopping: runtime.stopping,
            maxSeconds: runtime.config.gateway.limits.streamMaxSeconds)
        let services = runtime.services
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                services.openStreams.add(1, ordering: .relaxed)
                let span = run.exchange.trace?.child("policies.stream")
                let ending = await relay.relay(source, to: &writer)
                services.openStreams.subtract(1, ordering: .relaxed)
                if let span {
                    let (events, bytes) = run.exchange.state.withLock { ($0.streamEvents, $0.bytesOut) }
                    span.attributes["gatewayhost.stream.events"] = events
                    span.attributes["gatewayhost.stream.bytes"] = bytes
                    span.end()
                }
                await ticket.run.end(ending.reason, status: ending.status)
                try? await writer.finish(nil)
            })
    }

    private func respond(_ error: GatewayError, exchange: Exchange) -> Response {
        exchange.state.withLock {
            $0.errorCode = error.code ?? error.type
            if let policy = error.policy { $0.blockedPolicy = policy }
        }
        var response = error.response(requestID: exchange.requestID)
        response.headers[.xGatewayGeneration] = String(runtime.generation)
        for (name, value) in exchange.state.withLock({ $0.responseHeaders }) {
            if let field = HTTPField.Name(name) { response.headers[field] = value }
        }
        if let target = exchange.state.withLock({ $0.targetID }) { response.headers[.xGatewayTarget] = target }
        if let attempts = Self.attemptCount(exchange) { response.headers[.xGatewayAttempts] = attempts }
        return response
    }

    /// Attempts that reached (or tried to reach) an upstream; nil before any.
    private static func attemptCount(_ exchange: Exchange) -> String? {
        let count = exchange.state.withLock { $0.attempts.filter(\.reachedUpstream).count }
        return count > 0 ? String(count) : nil
    }

    private func responseHeaders(exchange: Exchange, target: Target) -> HTTPFields {
        var headers = HTTPFields()
        headers[.xRequestID] = exchange.requestID
        headers[.xGatewayTarget] = target.id
        headers[.xGatewayGeneration] = String(runtime.generation)
        if let attempts = Self.attemptCount(exchange) { headers[.xGatewayAttempts] = attempts }
        for (name, value) in exchange.state.withLock({ $0.responseHeaders }) {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return headers
    }
}
