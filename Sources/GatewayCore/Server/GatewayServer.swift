import GatewayWire
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The HTTP server: routes, OpenAI-style errors for everything that is not a route, and readiness.
///
/// Routes: `POST /v1/chat/completions`, `POST /v1/responses`, `GET /v1/models`, `GET /healthz` (alive),
/// `GET /readyz` (503 until the listener is up with config and plugins loaded, and again while stopping),
/// `GET /health/targets`, `GET /metrics`, and the admin routes (`AdminRoutes`). Each exchange runs on the
/// config generation that was current when it arrived (`RuntimeStore`); SIGHUP reloads.
package struct GatewayServer: Sendable {
    package let store: RuntimeStore
    package let logger: Logger
    package let ready = Ready()
    /// Exports spans (swift-otel's batch processor); nil when tracing is off.
    private let tracingService: ServiceBox?

    package init(store: RuntimeStore, logger: Logger, tracingService: (any Service)? = nil) {
        self.store = store
        self.logger = logger
        self.tracingService = tracingService.map(ServiceBox.init)
    }

    /// The generation serving new exchanges now.
    package var runtime: GatewayRuntime { store.runtime }

    package final class Ready: Sendable {
        package let flag = Atomic<Bool>(false)
    }

    /// Known paths and the method each accepts, for 405 answers.
    package static let routes: [String: String] = [
        "/v1/chat/completions": "POST", "/v1/responses": "POST", "/v1/embeddings": "POST", "/v1/models": "GET",
        "/healthz": "GET",
        "/readyz": "GET", "/health/targets": "GET", "/admin": "GET", "/admin/api/status": "GET",
        "/admin/reload": "POST", "/admin/usage": "GET",
    ]

    package func makeRouter() -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: OpenAIErrorMiddleware())
        let store = self.store
        let logger = self.logger
        router.post("/v1/chat/completions") { request, context in
            await Self.inChildTask {
                await CompletionsHandler(lease: store.acquire(), api: .chatCompletions, logger: logger).handle(
                    request, context: context)
            }
        }
        router.post("/v1/responses") { request, context in
            await Self.inChildTask {
                await CompletionsHandler(lease: store.acquire(), api: .responses, logger: logger).handle(
                    request, context: context)
            }
        }
        router.post("/v1/embeddings") { request, context in
            await Self.inChildTask {
                await CompletionsHandler(lease: store.acquire(), api: .embeddings, logger: logger).handle(
                    request, context: context)
            }
        }
        router.get("/v1/models") { _, _ in ModelList.response(pool: store.runtime.pool) }
        router.get("/health/targets") { _, _ in TargetStatus.response(pool: store.runtime.pool) }
        let metrics = runtime.config.gateway.metrics
        AdminRoutes(store: store, services: runtime.services).add(
            to: router, metricsPath: metrics.listenHost == nil ? metrics.path : nil)
        router.get("/healthz") { _, _ in Self.json(200, "{\"status\":\"ok\"}") }
        let ready = self.ready
        router.get("/readyz") { _, _ in
            ready.flag.load(ordering: .relaxed)
                ? Self.json(200, "{\"status\":\"ready\"}")
                : GatewayError.notReady.response(requestID: RequestIdentity.generate())
        }
        return router
    }

    /// Runs a request's handling in a child task, whose async frames are freed when it returns.
    ///
    /// Swift's task allocator keeps a task's deepest stack of async frames for as long as the task lives
    /// (empty slabs are kept, then merged into one slab of the accumulated size). A connection's task lives
    /// as long as the connection, and the handler, routing and attempt loop need ~35 KiB of frames at their
    /// peak: every open stream, and every idle keep-alive connection, held that much. In a child task the
    /// connection's task keeps only what streaming a body needs. The child runs on the same event loop
    /// (NIO's executor hook is sticky), so this costs a task, not a thread switch.
    static func inChildTask(_ work: @escaping @Sendable () async -> Response) async -> Response {
        await withTaskGroup(of: Response.self) { group in
            group.addTask(operation: work)
            if let response = await group.next() { return response }
            let requestID = RequestIdentity.generate()  // unreachable: the group has exactly one child
            return GatewayError.internal(requestID).response(requestID: requestID)
        }
    }

    package func run() async throws {
        let gateway = runtime.config.gateway
        let ready = self.ready
        let logger = self.logger
        let traffic = runtime.traffic
        let app = Application(
            router: makeRouter(),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [
                        ConnectionGuard.installer(gauge: traffic, maxBodyBytes: gateway.maxBodyBytes),
                        ClientCloseDetector(),
                    ],
                    idleTimeout: .seconds(75),
                    httpDecoderConfiguration: .init(
                        maxHeaderFieldSize: gateway.maxHeaderBytes, maxHeaderListSize: gateway.maxHeaderBytes * 4,
                        // The guard counts header lines (431 naming max_header_count); the parser's own cap
                        // only backs it up, memory being bounded by the header bytes anyway.
                        maxHeaderFieldCount: max(10_000, gateway.limits.maxHeaderCount + 1)))),
            // A burst of new connections (clients reconnecting after a deploy, thousands of streams opening
            // at once) must wait in the accept queue, not be dropped: Hummingbird's default of 256 overflowed
            // at ~1,000 connects/s in the stream-scale benchmark. The kernel caps it at net.core.somaxconn.
            configuration: .init(
                address: .hostname(gateway.listenHost, port: gateway.listenPort), serverName: nil, backlog: 4096),
            onServerRunning: { channel in
                ready.flag.store(true, ordering: .relaxed)
                let address = channel.localAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
                logger.info("gatewayhost listening on \(address)")
            },
            logger: logger)
        let store = self.store
        defer {
            ready.flag.store(false, ordering: .relaxed)
            store.runtime.shutdown()
        }
        // Services shut down in reverse order: the listeners first, then the span exporter flushes.
        var services: [any Service] = []
        if let tracingService { services.append(tracingService) }
        if let metricsApp = makeMetricsListener() { services.append(metricsApp) }
        services.append(app)
        // SIGTERM and SIGINT drain first (see `drain`); only then does the server stop accepting.
        let group = ServiceGroup(
            configuration: .init(
                services: services, gracefulShutdownSignals: [], cancellationSignals: [], logger: logger))
        runtime.startBackground()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    logger.notice("SIGHUP: reloading the configuration")
                    _ = await store.reload()
                }
            }
            tasks.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                    await drain()
                    await group.triggerGracefulShutdown()
                    return
                }
            }
            try await tasks.next()  // the server stopped
            tasks.cancelAll()
        }
    }

    /// The shutdown grace: `/readyz` answers 503 at once while the listener keeps accepting (a load
    /// balancer notices the 503 and moves traffic, instead of meeting refused connections), until nothing
    /// is in flight or `shutdown_grace_seconds` passed. Exchanges still running then are stopped: streams
    /// end with the SSE error event, and every policy gets `exchange_end` with `PAB_END_HOST_SHUTDOWN`.
    /// `gateway.metrics.listen`: a second listener that answers only the scrape.
    private func makeMetricsListener() -> (any Service)? {
        let settings = runtime.config.gateway.metrics
        guard let host = settings.listenHost, let port = settings.listenPort else { return nil }
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: OpenAIErrorMiddleware())
        AdminRoutes.addMetrics(to: router, path: settings.path, store: store, services: runtime.services)
        let logger = logger
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let address = channel.localAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
                logger.info("metrics listening on \(address)\(settings.path)")
            }, logger: logger)
    }

    package func drain() async {
        ready.flag.store(false, ordering: .relaxed)
        let traffic = runtime.traffic
        let grace = runtime.config.gateway.limits.shutdownGraceSeconds
        logger.notice(
            "stopping: /readyz answers 503; waiting up to \(grace) s for \(traffic.inflight.load(ordering: .relaxed)) exchanges in flight"
        )
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(Int64(grace * 1000)))
        while traffic.inflight.load(ordering: .relaxed) > 0 && clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let left = traffic.inflight.load(ordering: .relaxed)
        if left > 0 {
            logger.warning("shutdown grace passed: stopping \(left) exchanges still in flight")
            runtime.stopping.fire()
            // Their ends (error events, exchange_end hooks) take a moment; the server waits for them too.
            let stopDeadline = clock.now.advanced(by: .seconds(5))
            while traffic.inflight.load(ordering: .relaxed) > 0 && clock.now < stopDeadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        logger.notice("stopping: closing the listener")
    }

    package static func json(_ status: Int, _ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Turns whatever escapes the routes (unknown route, wrong method, framework errors) into an OpenAI-style
/// JSON error, so clients never see an empty or HTML body.
package struct OpenAIErrorMiddleware: RouterMiddleware {
    package typealias Context = GatewayRequestContext

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let requestID = RequestIdentity.id(fromClientHeader: request.headers[.xRequestID])
            let path = request.uri.path
            if error.status == .notFound {
                if let allowed = GatewayServer.routes[path] {
                    return GatewayError.methodNotAllowed(request.method.rawValue, path, allowed: allowed)
                        .response(requestID: requestID)
                }
                return GatewayError.notFound(path).response(requestID: requestID)
            }
            return GatewayError(
                status: Int(error.status.code), message: error.body ?? error.status.reasonPhrase,
                type: "invalid_request_error", code: nil
            ).response(requestID: requestID)
        } catch {
            let requestID = RequestIdentity.id(fromClientHeader: request.headers[.xRequestID])
            context.logger.error("unhandled error: \(String(describing: type(of: error)))")
            return GatewayError.internal(requestID).response(requestID: requestID)
        }
    }
}

/// `GET /v1/models`: the configured targets' models in OpenAI's list format.
package enum ModelList {
    package static func response(pool: TargetPool) -> Response {
        let items = pool.models.map {
            "{\"id\":\(jsonQuoted($0.id)),\"object\":\"model\",\"created\":0,\"owned_by\":\(jsonQuoted($0.ownedBy))}"
        }
        return GatewayServer.json(200, "{\"object\":\"list\",\"data\":[\(items.joined(separator: ","))]}")
    }
}

/// `GET /health/targets`: each target's state as routing sees it (JSON), for operators and the status page.
enum TargetStatus {
    static func response(pool: TargetPool) -> Response {
        let now = MonotonicClock.nanos()
        let items = pool.targets.map { target -> String in
            let health = target.health
            let latency = health.latency.averageMilliseconds.map { String(format: "%.1f", $0) } ?? "null"
            let available = target.unavailableReason == nil
            var fields = [
                "\"id\":\(jsonQuoted(target.id))", "\"provider\":\(jsonQuoted(target.provider))",
                "\"model\":\(jsonQuoted(target.model))", "\"available\":\(available)",
                "\"probed\":\(target.healthProbe != nil)", "\"healthy\":\(health.probeHealthy)",
                "\"breaker\":\(jsonQuoted(health.breaker.phase(now: now).rawValue))", "\"latency_ms\":\(latency)",
                "\"weight\":\(target.weight)",
            ]
            if let reason = target.unavailableReason { fields.append("\"unavailable_reason\":\(jsonQuoted(reason))") }
            if let error = health.lastProbeError { fields.append("\"last_probe_error\":\(jsonQuoted(error))") }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return GatewayServer.json(200, "{\"targets\":[\(items.joined(separator: ","))]}")
    }
}

/// Lets an existential service sit in the server's stored properties.
private struct ServiceBox: Service {
    let service: any Service
    init(_ service: any Service) { self.service = service }
    func run() async throws { try await service.run() }
}
