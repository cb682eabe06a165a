import Tracing

/// One exchange's spans: the root (kind server, continuing the client's `traceparent`) and its children.
/// Only ids, names, statuses and counts go into attributes, never prompt or answer text.
///
/// Usage:
/// ```swift
/// let trace = ExchangeTrace(tracer: tracer, route: "/v1/chat/completions", headers: requestHeaders)
/// let phase = trace.child("policies.request")
/// phase.end()
/// trace.finish(status: 200)
/// ```
package final class ExchangeTrace: Sendable {
    private let tracer: GatewayTracer
    private let root: any Span

    package init(tracer: GatewayTracer, route: String, headers: [(name: String, value: String)]) {
        self.tracer = tracer
        let parent = tracer.context(from: headers)
        root = tracer.span("POST \(route)", parent: parent, kind: .server)
        root.attributes["http.request.method"] = "POST"
        root.attributes["url.path"] = route
    }

    package func set(_ key: String, _ value: String) { root.attributes[key] = value }
    package func set(_ key: String, _ value: Int) { root.attributes[key] = value }

    /// A child of the exchange's span; the caller ends it.
    package func child(_ name: String, kind: SpanKind = .internal) -> any Span {
        tracer.span(name, parent: root.context, kind: kind)
    }

    /// The headers that carry `span`'s context to an upstream.
    package func propagation(for span: any Span) -> [(name: String, value: String)] {
        tracer.headers(for: span.context)
    }

    package func finish(status: Int, reason: String) {
        root.attributes["http.response.status_code"] = status
        root.attributes["gatewayhost.end_reason"] = reason
        if status >= 500 { root.setStatus(SpanStatus(code: .error)) }
        root.end()
    }
}
