import Foundation
import GatewayWire
import HTTPTypes
import Hummingbird
import NIOCore

/// The operator's endpoints: `GET /admin` (the status page), `GET /admin/api/status` (its JSON),
/// `POST /admin/reload`, all behind `gateway.admin_keys` (Bearer, or Basic with the key as password so a
/// browser asks once); without admin keys they answer 404 as if they did not exist. `GET /metrics` (or
/// `gateway.metrics.path`) has no key: bind a separate `metrics.listen` when the scrape must stay private.
///
/// Usage:
/// ```swift
/// AdminRoutes(store: store, services: services).add(to: router, metricsPath: "/metrics")
/// ```
package struct AdminRoutes: Sendable {
    package let store: RuntimeStore
    package let services: GatewayServices

    package func add(to router: Router<GatewayRequestContext>, metricsPath: String?) {
        let routes = self
        router.get("/admin") { request, _ in
            routes.authorized(request, html: true) {
                var headers = HTTPFields()
                headers[.contentType] = "text/html; charset=utf-8"
                headers[.cacheControl] = "no-store"
                headers[HTTPField.Name("content-security-policy")!] =
                    "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:;"
                    + " connect-src 'self'; frame-ancestors 'none'"
                headers[HTTPField.Name("x-content-type-options")!] = "nosniff"
                return Response(
                    status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: StatusPageHTML.page)))
            }
        }
        router.get("/admin/api/status") { request, _ in
            routes.authorized(request, html: false) { GatewayServer.json(200, routes.statusJSON()) }
        }
        router.get("/admin/usage") { request, _ in
            routes.authorized(request, html: false) { routes.usage(request) }
        }
        router.post("/admin/reload") { request, _ in
            let keys = routes.store.runtime.adminKeys
            guard !keys.isEmpty else {
                return GatewayError.notFound(request.uri.path).response(requestID: RequestIdentity.generate())
            }
            guard keys.adminID(forAuthorization: request.headers[.authorization]) != nil else {
                return Self.unauthorized(html: false)
            }
            let outcome = await routes.store.reload()
            if outcome.ok {
                let restart = outcome.restartOnly.map(jsonQuoted).joined(separator: ",")
                return GatewayServer.json(
                    200, "{\"ok\":true,\"generation\":\(outcome.generation),\"restart_required_for\":[\(restart)]}")
            }
            let message =
                "The new configuration was not loaded; generation \(outcome.generation) keeps serving. "
                + (outcome.error ?? "")
            return GatewayServer.json(
                422,
                "{\"error\":{\"message\":\(jsonQuoted(message)),\"type\":\"invalid_request_error\","
                    + "\"param\":null,\"code\":\"reload_failed\"},\"generation\":\(outcome.generation)}")
        }
        if let metricsPath { Self.addMetrics(to: router, path: metricsPath, store: store, services: services) }
    }

    package static func addMetrics(
        to router: Router<GatewayRequestContext>, path: String, store: RuntimeStore, services: GatewayServices
    ) {
        router.get(RouterPath(path)) { _, _ in
            let runtime = store.runtime
            let bytes = services.metrics.render(
                runtime: runtime, generation: runtime.generation, traffic: services.traffic,
                openStreams: services.openStreams.load(ordering: .relaxed))
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// `GET /admin/usage?group_by=client|model|target&from=&to=`: spend and tokens from the ledger.
    private func usage(_ request: Request) -> Response {
        let query: UsageQuery
        do throws(UsageQuery.Invalid) {
            query = try UsageQuery(
                groupBy: request.uri.queryParameters.get("group_by"), from: request.uri.queryParameters.get("from"),
                to: request.uri.queryParameters.get("to"))
        } catch {
            return GatewayError.validation(error.description, param: error.param).response(
                requestID: RequestIdentity.generate())
        }
        guard let ledger = services.ledger else {
            return GatewayError(
                status: 503, message: "This gateway keeps no usage ledger.", type: "server_error", code: "no_ledger"
            ).response(requestID: RequestIdentity.generate())
        }
        do throws(UsageLedgerError) {
            let rows = try ledger.summary(
                groupBy: query.groupBy, from: query.from, to: query.to, pack: store.runtime.config.pack.name)
            return GatewayServer.json(
                200, UsageRendering.json(rows: rows, groupBy: query.groupBy, from: query.from, to: query.to))
        } catch {
            return GatewayError(
                status: 500, message: "The usage ledger cannot be read: \(error.description)", type: "server_error",
                code: "ledger_error"
            ).response(requestID: RequestIdentity.generate())
        }
    }

    private func authorized(_ request: Request, html: Bool, _ answer: () -> Response) -> Response {
        let runtime = store.runtime
        guard !runtime.adminKeys.isEmpty else {
            return GatewayError.notFound(request.uri.path).response(requestID: RequestIdentity.generate())
        }
        guard runtime.adminKeys.adminID(forAuthorization: request.headers[.authorization]) != nil else {
            return Self.unauthorized(html: html)
        }
        return answer()
    }

    private static func unauthorized(html: Bool) -> Response {
        var response = GatewayError(
            status: 401, message: "Missing or invalid admin key. Send an admin key as `Authorization: Bearer <key>`.",
            type: "invalid_request_error", code: "invalid_admin_key"
        ).response(requestID: RequestIdentity.generate())
        response.headers[HTTPField.Name("www-authenticate")!] = "Basic realm=\"gatewayhost admin\", charset=\"UTF-8\""
        return response
    }

    /// `GET /admin/api/status`: the current generation's targets with health, breaker and latency, the
    /// traffic since start, policy verdicts, the last blocked or failed exchanges, and the last reload.
    func statusJSON() -> String {
        let runtime = store.runtime
        let now = MonotonicClock.nanos()
        let targets = runtime.pool.targets.map { target -> String in
            let health = target.health
            let latency = health.latency.averageMilliseconds.map { String(format: "%.1f", $0) } ?? "null"
            let counts = services.activity.targetCounts(target.id)
            var fields = [
                "\"id\":\(jsonQuoted(target.id))", "\"provider\":\(jsonQuoted(target.provider))",
                "\"model\":\(jsonQuoted(target.model))", "\"available\":\(target.unavailableReason == nil)",
                "\"probed\":\(target.healthProbe != nil)", "\"healthy\":\(health.probeHealthy)",
                "\"breaker\":\(jsonQuoted(health.breaker.phase(now: now).rawValue))", "\"latency_ms\":\(latency)",
                "\"weight\":\(target.weight)", "\"requests\":\(counts.requests)", "\"failures\":\(counts.failures)",
            ]
            if let reason = target.unavailableReason { fields.append("\"unavailable_reason\":\(jsonQuoted(reason))") }
            if let error = health.lastProbeError { fields.append("\"last_probe_error\":\(jsonQuoted(error))") }
            return "{" + fields.joined(separator: ",") + "}"
        }
        var reload = "null"
        if let last = store.lastReload {
            reload =
                "{\"at\":\(jsonQuoted(Timestamps.iso8601(last.at))),\"ok\":\(last.ok),"
                + "\"error\":\(last.error.map(jsonQuoted) ?? "null"),\"generation\":\(last.generation)}"
        }
        let traffic = services.activity.trafficJSON(
            inflight: services.traffic.inflight.load(ordering: .relaxed),
            openStreams: services.openStreams.load(ordering: .relaxed))
        let uptime = String(format: "%.1f", Date().timeIntervalSince(services.startedAt))
        return "{\"version\":\(jsonQuoted(GatewayVersion.current)),\"generation\":\(runtime.generation),"
            + "\"config_file\":\(jsonQuoted(runtime.configFile)),"
            + "\"loaded_at\":\(jsonQuoted(Timestamps.iso8601(runtime.loadedAt))),\"uptime_seconds\":\(uptime),"
            + "\"last_reload\":\(reload),\"traffic\":\(traffic),\"targets\":[\(targets.joined(separator: ","))],"
            + "\"policies\":\(services.activity.policiesJSON(chain: runtime.config.chain)),"
            + "\"recent\":\(services.activity.recentJSON())}"
    }
}
