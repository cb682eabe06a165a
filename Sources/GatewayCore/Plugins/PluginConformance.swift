import Foundation
import GatewayWire
import Logging
import PolicyABI
import Synchronization

/// The checks behind `gatewayhost plugins check`: what a plugin must do to be a good citizen of the chain.
///
/// 1. The loader's checks (file, ELF, entry, version, descriptor).
/// 2. `create` with the given config, then `create`/`destroy` 200 times (leaks show under valgrind/ASan).
/// 3. Every subscribed hook on sample chat and Responses exchanges, JSON and streamed: each verdict must
///    be a known value with its payload (allow, deny with a payload, mutate with a change), never an error.
/// 4. 8 concurrent exchanges × 50 on one instance: no failure (instances must be reentrant).
/// 5. Hook latency: p99 of on_request against the policy budget.
package struct PluginConformance {
    package let path: String
    package let configJSON: String
    package let logger: Logger

    package init(path: String, configJSON: String, logger: Logger) {
        self.path = path
        self.configJSON = configJSON
        self.logger = logger
    }

    package struct Report {
        package var lines: [String] = []
        package var checks = 0
        package var failures = 0
        package var passed: Bool { failures == 0 }

        package mutating func check(_ ok: Bool, _ what: String, _ detail: String = "") {
            checks += 1
            if !ok { failures += 1 }
            lines.append("\(ok ? "ok  " : "FAIL") \(what)\(detail.isEmpty ? "" : ": " + detail)")
        }
    }

    package static let budgetMs = 200

    package func run() async -> Report {
        var report = Report()
        let folder = (path as NSString).deletingLastPathComponent
        let library: PluginLibrary
        do {
            library = try PluginLibrary(path: path, policy: nil, expectedSHA256: nil, pluginsDirectory: folder)
            report.check(
                true, "loads",
                "\(library.name) \(library.version), PolicyABI \(library.descriptor.abi_major).\(library.descriptor.abi_minor)"
            )
        } catch {
            report.check(false, "loads", error.reason)
            return report
        }
        guard let config = try? JSONDocument(parsing: configJSON), config.root.kind == .object else {
            report.check(false, "config", "--config must be a JSON object")
            return report
        }
        let executor = PolicyExecutor(threads: 4)
        defer { executor.shutdown() }
        let instance: PolicyInstance
        do {
            instance = try PolicyInstance(
                name: library.name, library: library, configJSON: configJSON, failMode: .failClosed,
                timeoutMs: Self.budgetMs, logger: logger)
            report.check(true, "create with the given config")
        } catch {
            report.check(false, "create with the given config", error.reason)
            return report
        }
        var churnFailure: String?
        for _ in 0..<200 {
            do {
                _ = try PolicyInstance(
                    name: library.name, library: library, configJSON: configJSON, failMode: .failClosed,
                    timeoutMs: Self.budgetMs, logger: logger)
            } catch {
                churnFailure = error.reason
                break
            }
        }
        report.check(churnFailure == nil, "create/destroy ×200", churnFailure ?? "")

        let chain = PolicyChain(policies: [instance], executor: executor, logger: logger)
        for sample in ConformanceSamples.all {
            let failure = await Self.exercise(chain: chain, sample: sample)
            report.check(failure == nil, "hooks on \(sample.name)", failure ?? "")
        }

        let failures = Counter()
        let durations = DurationLog()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for round in 0..<50 {
                        let sample = ConformanceSamples.all[(worker + round) % ConformanceSamples.all.count]
                        let start = MonotonicClock.nanos()
                        if await Self.exercise(chain: chain, sample: sample) != nil {
                            failures.value.add(1, ordering: .relaxed)
                        }
                        let elapsed = MonotonicClock.nanos() - start
                        durations.values.withLock { $0.append(elapsed) }
                    }
                }
            }
        }
        let failed = failures.value.load(ordering: .relaxed)
        report.check(failed == 0, "8 concurrent exchanges ×50", failed == 0 ? "" : "\(failed) exchanges failed")
        let sorted = durations.values.withLock { $0.sorted() }
        let p50 = Double(sorted[sorted.count / 2]) / 1e6
        let p99 = Double(sorted[min(sorted.count - 1, sorted.count * 99 / 100)]) / 1e6
        report.check(
            p99 < Double(Self.budgetMs), "exchange latency under load",
            String(format: "p50 %.3f ms, p99 %.3f ms (budget %d ms per hook)", p50, p99, Self.budgetMs))
        let errors = instance.errorCount.load(ordering: .relaxed)
        report.check(errors == 0, "no plugin errors counted", errors == 0 ? "" : "\(errors) errors")
        return report
    }

    /// Runs one sample exchange through the one-policy chain; returns what went wrong, if anything.
    package static func exercise(chain: PolicyChain, sample: ConformanceSamples.Sample) async -> String? {
        let exchange = Exchange(
            requestID: RequestIdentity.generate(),
            route: sample.api == .chatCompletions ? "/v1/chat/completions" : "/v1/responses",
            api: sample.api, model: "conformance-model", clientID: "conformance", clientIP: "127.0.0.1",
            stream: sample.stream != nil, packName: "conformance", packVersion: "0.0.0", requestHeaders: [])
        let run = chain.start(exchange)
        var problem: String?
        func note(_ decision: ChainDecision, _ phase: String) -> Bool {
            if case .failure(_, let reason) = decision {
                problem = "\(phase): \(reason)"
                return false
            }
            if case .deny = decision { return false }  // a deny is a valid answer; stop the exchange there
            return true
        }
        let request = await run.request(
            PhaseBody(bytes: Array(sample.request.utf8), segmentPhase: .request(sample.api)))
        if note(request.decision, "on_request") {
            if let stream = sample.stream {
                var index: UInt64 = 0
                for event in stream {
                    let result = await run.streamEvent(
                        PhaseBody(bytes: Array(event.data.utf8), segmentPhase: .streamEvent(sample.api)),
                        event: event.event,
                        index: index, isFinal: Int(index) == stream.count - 1)
                    index += 1
                    if !note(result.decision, "on_stream_chunk") { break }
                }
                if problem == nil {
                    _ = note(
                        await run.streamEnd(reason: PAB_END_COMPLETED, status: 200, events: index, bytes: 0).decision,
                        "on_stream_end")
                }
            } else {
                let response = await run.response(
                    PhaseBody(bytes: Array(sample.response.utf8), segmentPhase: .response(sample.api)), status: 200,
                    contentType: "application/json")
                _ = note(response.decision, "on_response")
            }
        }
        await run.end(problem == nil ? PAB_END_COMPLETED : PAB_END_POLICY_ERROR, status: problem == nil ? 200 : 503)
        return problem
    }
}

/// Canned exchanges in the real wire formats.
package enum ConformanceSamples {
    package struct Sample: Sendable {
        package let name: String
        package let api: WireAPI
        package let request: String
        package let response: String
        package let stream: [(event: String?, data: String)]?
    }

    package static let chatRequest =
        #"{"model":"conformance-model","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Hello, my e-mail is jane@example.com. What is 2+2?"},{"role":"user","content":[{"type":"text","text":"Answer briefly."}]}]}"#
    package static let chatResponse =
        #"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"conformance-model","choices":[{"index":0,"message":{"role":"assistant","content":"4"},"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":1,"total_tokens":21}}"#
    package static let responsesRequest =
        #"{"model":"conformance-model","instructions":"Be terse.","input":[{"role":"user","content":[{"type":"input_text","text":"Hello there"}]}]}"#
    package static let responsesResponse =
        #"{"id":"resp_1","object":"response","status":"completed","model":"conformance-model","output":[{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hi","annotations":[]}]}],"usage":{"input_tokens":5,"output_tokens":1,"total_tokens":6}}"#

    package static let chatStream: [(event: String?, data: String)] = [
        (
            nil,
            #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#
        ),
        (
            nil,
            #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Two plus"},"finish_reason":null}]}"#
        ),
        (
            nil,
            #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" two is 4."},"finish_reason":null}]}"#
        ),
        (
            nil,
            #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#
        ),
        (nil, "[DONE]"),
    ]
    package static let responsesStream: [(event: String?, data: String)] = [
        (
            "response.created",
            #"{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","output":[]}}"#
        ),
        (
            "response.output_text.delta",
            #"{"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"}"#
        ),
        (
            "response.output_text.delta",
            #"{"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_1","output_index":0,"content_index":0,"delta":" there"}"#
        ),
        (
            "response.output_text.done",
            #"{"type":"response.output_text.done","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"text":"Hi there"}"#
        ),
        (
            "response.completed",
            #"{"type":"response.completed","sequence_number":4,"response":{"id":"resp_1","object":"response","status":"completed","output":[]}}"#
        ),
    ]

    package static let all: [Sample] = [
        Sample(name: "chat JSON", api: .chatCompletions, request: chatRequest, response: chatResponse, stream: nil),
        Sample(name: "chat stream", api: .chatCompletions, request: chatRequest, response: "", stream: chatStream),
        Sample(
            name: "Responses JSON", api: .responses, request: responsesRequest, response: responsesResponse, stream: nil
        ),
        Sample(
            name: "Responses stream", api: .responses, request: responsesRequest, response: "", stream: responsesStream),
    ]
}

private final class Counter: Sendable { let value = Atomic<Int>(0) }
private final class DurationLog: Sendable { let values = Locked<[UInt64]>([]) }
