import Logging
import ServiceLifecycle
import Tracing

#if OTLPTracing
    import OTel
#endif

/// OpenTelemetry traces over OTLP/HTTP (swift-otel), off unless `gateway.tracing` is set: a span per
/// exchange, children for the policy phases and each upstream attempt, W3C `traceparent` continued from
/// the client and sent upstream. The tracer is process-wide (config reloads keep it).
///
/// Usage:
/// ```swift
/// let tracing = try GatewayTracer.make(settings, logger: logger)  // nil when tracing is off
/// let trace = tracing?.tracer.beginExchange(name: "POST /v1/chat/completions", headers: headers)
/// ```
package final class GatewayTracer: Sendable {
    private let start: @Sendable (String, InstrumentationContext, SpanKind) -> any Span
    private let extractParent: @Sendable ([(name: String, value: String)]) -> InstrumentationContext
    private let injectHeaders: @Sendable (InstrumentationContext) -> [(name: String, value: String)]

    package init<T: Tracer>(_ tracer: T) {
        start = { name, context, kind in tracer.startSpan(name, context: context, ofKind: kind) }
        extractParent = { headers in
            var context = InstrumentationContext.topLevel
            tracer.extract(headers, into: &context, using: HeaderListExtractor())
            return context
        }
        injectHeaders = { context in
            var headers: [(name: String, value: String)] = []
            tracer.inject(context, into: &headers, using: HeaderListInjector())
            return headers
        }
    }

    /// The tracer and the service that exports its spans (run it in the server's service group: its
    /// graceful shutdown flushes what is left).
    package static func make(_ settings: TracingSettings, logger: Logger) throws -> (GatewayTracer, any Service) {
        #if OTLPTracing
            return try makeOTLP(settings, logger: logger)
        #else
            throw TracingUnavailable()
        #endif
    }

    /// This binary was built without the `OTLPTracing` package trait.
    package struct TracingUnavailable: Error, CustomStringConvertible {
        package var description: String {
            "this gatewayhost was built without OTLP trace export (the OTLPTracing package trait);"
                + " remove gateway.tracing or use a default build"
        }
    }

    #if OTLPTracing
        private static func makeOTLP(_ settings: TracingSettings, logger: Logger) throws -> (GatewayTracer, any Service)
        {
            var configuration = OTel.Configuration.default
            configuration.serviceName = settings.serviceName
            configuration.logs.enabled = false
            configuration.metrics.enabled = false
            configuration.traces.enabled = true
            configuration.traces.exporter = .otlp
            configuration.traces.otlpExporter.protocol = .httpProtobuf
            configuration.traces.otlpExporter.endpoint = settings.endpoint
            configuration.traces.sampler =
                .parentBasedTraceIDRatio(ratio: settings.sampleRatio) ?? .parentBasedAlwaysOn
            // Spans leave within a second: a trace shows up while the operator still looks for it.
            configuration.traces.batchSpanProcessor.scheduleDelay = .seconds(1)
            configuration.propagators = [.traceContext]
            configuration.diagnosticLogger = .custom(logger)
            let (tracer, service) = try OTel.makeTracingBackend(configuration: configuration)
            return (GatewayTracer(tracer), service)
        }
    #endif

    package func span(_ name: String, parent: InstrumentationContext, kind: SpanKind = .internal) -> any Span {
        start(name, parent, kind)
    }

    package func context(from headers: [(name: String, value: String)]) -> InstrumentationContext {
        extractParent(headers)
    }

    /// `traceparent` (and `tracestate`) for a request made inside the span with `context`.
    package func headers(for context: InstrumentationContext) -> [(name: String, value: String)] {
        injectHeaders(context)
    }
}

/// Reads propagation headers from a header list (names lowercased).
struct HeaderListExtractor: Extractor {
    func extract(key: String, from carrier: [(name: String, value: String)]) -> String? {
        let lower = key.lowercased()
        return carrier.first { $0.name == lower }?.value
    }
}

struct HeaderListInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [(name: String, value: String)]) {
        carrier.append((name: key.lowercased(), value: value))
    }
}
