import GatewayWire
import Hummingbird
import PolicyABI
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Where a stream's bytes come from: a live upstream transfer, or a local provider's prepared bytes.
package enum StreamSource: Sendable {
    case upstream(UpstreamBody)
    case local([UInt8])
}

/// Moves one SSE stream from the upstream to the client, event by event, through the policy chain.
///
/// Each complete event passes `on_stream_chunk` of every subscribed policy as it arrives, and is written
/// to the client right away (events of one upstream read are written together). The stream always ends
/// explicitly: with the upstream's own terminal event, or with an SSE error event (policy deny, policy
/// failure, upstream cut or timeout), never silently.
package struct StreamRelay: Sendable {
    package let run: ChainRun
    package let api: WireAPI
    package let targetID: String
    /// Fired at shutdown: the upstream transfer is cancelled and the stream ends with an error event.
    package let stopping: StopSwitch
    /// `gateway.stream_max_seconds`: the longest a stream may last, however steadily it trickles.
    package let maxSeconds: Double

    /// How the relay ended, for exchange_end and the status recorded in the audit trail.
    package struct Ending: Sendable {
        package var reason: pab_end_reason
        package var status: Int
    }

    package func relay(_ source: StreamSource, to writer: inout any ResponseBodyWriter) async -> Ending {
        var parser = SSEParser()
        var state = RelayState(api: api)
        let hooks = run.chain.hasStreamHooks

        func send(_ bytes: [UInt8], _ writer: inout any ResponseBodyWriter) async -> Bool {
            guard !bytes.isEmpty else { return true }
            do {
                try await writer.write(ByteBuffer(bytes: bytes))
                run.exchange.state.withLock { s in
                    if s.firstByteNanos == nil { s.firstByteNanos = MonotonicClock.nanos() }
                    s.bytesOut += bytes.count
                }
                return true
            } catch {
                return false
            }
        }

        // Handles the events of one upstream read; returns an ending when the stream must stop now.
        // The policies see all of the read's events in one hand-off to a policy thread (`streamEvents`);
        // what they let through is written in one go.
        let hideUsage = run.exchange.state.withLock { $0.hideUsageChunk }
        func handle(_ upstreamEvents: [SSEEvent], _ writer: inout any ResponseBodyWriter) async -> Ending? {
            let events = hideUsage ? upstreamEvents.compactMap { hidingUsage($0) } : upstreamEvents
            var inputs: [ChainRun.StreamEventInput] = []
            var nextIndex = state.events
            for event in events {
                guard let data = event.data else { continue }
                let body = PhaseBody(bytes: data, segmentPhase: .streamEvent(api))
                // Parsed here, before any policy thread sees the body: a hook that overruns its budget may
                // still be reading it while this task carries on (the cache is then only read, never filled).
                if hooks {
                    _ = body.document
                    // The ids inserted text is written with: those of the stream's own events.
                    run.synthesizer.withLock { $0.observe(body.document) }
                }
                let isFinal = state.isTerminal(event: event.event, data: data, document: { body.document })
                inputs.append(.init(data: body, event: event.event, index: nextIndex, isFinal: isFinal))
                nextIndex += 1
            }
            let results = hooks && !inputs.isEmpty ? await run.streamEvents(inputs) : []

            var out: [UInt8] = []
            // The events' data plus their field names and line breaks: one allocation for the whole read.
            out.reserveCapacity(inputs.reduce(64 * events.count) { $0 + $1.data.bytes.count })
            var next = 0
            for var event in events {
                guard let data = event.data else {
                    event.serialize(into: &out)  // comments / keep-alives: forwarded, not shown to policies
                    continue
                }
                let input = inputs[next]
                next += 1
                state.events += 1
                state.bytes += UInt64(data.count)
                if input.isFinal { state.sawTerminal = true }
                state.captureUsage(data: data, document: { input.data.document }, exchange: run.exchange)
                if hooks {
                    // streamEvents stops after the first event that does not proceed, and that event returns.
                    let result = results[next - 1]
                    switch result.decision {
                    case .proceed: break
                    case .deny(let policy, let payload):
                        out += Array(GatewayError.policyBlocked(policy: policy, payload: payload).sseEvent.utf8)
                        _ = await send(out, &writer)
                        return Ending(reason: PAB_END_DENIED, status: payload.status)
                    case .failure(let policy, _):
                        out += Array(GatewayError.policyFailed(policy: policy).sseEvent.utf8)
                        _ = await send(out, &writer)
                        return Ending(reason: PAB_END_POLICY_ERROR, status: 503)
                    }
                    // What the chain let out for this event, in order: inserted text first, then the event
                    // itself (unless dropped) with its own id, retry and comment lines kept.
                    for item in result.items {
                        if item.inserted {
                            SSEEvent(event: item.event, data: item.body?.bytes ?? []).serialize(into: &out)
                        } else {
                            if item.changed, let changed = item.body { event.data = changed.bytes }
                            event.serialize(into: &out)
                        }
                    }
                    continue
                }
                event.serialize(into: &out)
            }
            guard await send(out, &writer) else { return Ending(reason: PAB_END_CLIENT_DISCONNECT, status: 499) }
            return nil
        }

        var ending: Ending?
        switch source {
        case .local(let bytes):
            do throws(SSEParseError) {
                ending = await handle(try parser.feed(bytes), &writer)
            } catch {
                ending = await fail(.streamCut(targetID), reason: PAB_END_UPSTREAM_ERROR, &writer)
            }
        case .upstream(let body):
            // The total duration cap: past it the transfer is cancelled and the cancel reads as "too long".
            let overran = Atomic<Bool>(false)
            let cap = Task {
                try await Task.sleep(for: .seconds(maxSeconds))
                overran.store(true, ordering: .relaxed)
                body.cancel()
            }
            defer { cap.cancel() }
            var iterator = body.makeAsyncIterator()
            reading: while ending == nil {
                do throws(UpstreamError) {
                    guard let chunk = try await iterator.next() else { break reading }
                    do throws(SSEParseError) {
                        ending = await handle(try parser.feed(chunk), &writer)
                    } catch {
                        body.cancel()
                        ending = await fail(
                            GatewayError(
                                status: 502, message: "Upstream target '\(targetID)' sent an invalid stream: \(error)",
                                type: "upstream_error", code: "invalid_stream"),
                            reason: PAB_END_UPSTREAM_ERROR, &writer)
                    }
                } catch {
                    switch error {
                    case .timedOut(let detail):
                        ending = await fail(.upstreamTimeout(targetID, detail), reason: PAB_END_TIMEOUT, &writer)
                    case .cancelled where overran.load(ordering: .relaxed):
                        ending = await fail(
                            .upstreamTimeout(
                                targetID, "the stream lasted longer than \(maxSeconds) s (stream_max_seconds)"),
                            reason: PAB_END_TIMEOUT, &writer)
                    case .cancelled where stopping.isStopping:
                        ending = await fail(.shuttingDown, reason: PAB_END_HOST_SHUTDOWN, &writer)
                    case .cancelled:
                        ending = Ending(reason: PAB_END_CLIENT_DISCONNECT, status: 499)
                    default:
                        ending = await fail(.streamCut(targetID), reason: PAB_END_UPSTREAM_ERROR, &writer)
                    }
                }
            }
            if ending != nil { body.cancel() }
        }

        if ending == nil {
            // The upstream closed. A trailing partial event or a missing terminal event means it was cut.
            if parser.finish() != nil || !state.sawTerminal {
                ending = await fail(.streamCut(targetID), reason: PAB_END_UPSTREAM_ERROR, &writer)
            }
        }
        let final = ending ?? Ending(reason: PAB_END_COMPLETED, status: 200)
        run.exchange.state.withLock { $0.streamEvents = Int(state.events) }
        let endResult = await run.streamEnd(
            reason: final.reason, status: final.status, events: state.events, bytes: state.bytes)
        if final.reason == PAB_END_COMPLETED {
            switch endResult.decision {
            case .proceed: break
            case .deny(let policy, let payload):
                _ = await send(
                    Array(GatewayError.policyBlocked(policy: policy, payload: payload).sseEvent.utf8), &writer)
                return Ending(reason: PAB_END_DENIED, status: payload.status)
            case .failure(let policy, _):
                _ = await send(Array(GatewayError.policyFailed(policy: policy).sseEvent.utf8), &writer)
                return Ending(reason: PAB_END_POLICY_ERROR, status: 503)
            }
        }
        return final
    }

    /// An event as the client would have had it without the usage the gateway asked for: the final usage
    /// chunk (`"choices": []` with `usage`) is kept for the records and not forwarded; `"usage": null`
    /// members are removed from the other chunks. Everything else is forwarded byte for byte.
    private func hidingUsage(_ event: SSEEvent) -> SSEEvent? {
        guard let data = event.data, data.containsSubsequence(UsageScan.needle),
            let document = try? JSONDocument(parsing: data), let usage = document.root["usage"]
        else { return event }
        if usage.kind == .object, let choices = document.root["choices"], choices.kind == .array, choices.count == 0 {
            let json = String(decoding: usage.rawBytes, as: UTF8.self)
            run.exchange.state.withLock { $0.usageJSON = json }
            return nil
        }
        guard usage.kind == .null, let trimmed = removingMember("usage", from: data, doc: document) else {
            return event
        }
        var copy = event
        copy.data = trimmed
        return copy
    }

    private func fail(_ error: GatewayError, reason: pab_end_reason, _ writer: inout any ResponseBodyWriter) async
        -> Ending
    {
        do {
            try await writer.write(ByteBuffer(string: error.sseEvent))
        } catch {
            return Ending(reason: PAB_END_CLIENT_DISCONNECT, status: 499)
        }
        return Ending(reason: reason, status: error.status)
    }
}

/// Bookkeeping of one relayed stream.
private struct RelayState {
    let api: WireAPI
    var events: UInt64 = 0
    var bytes: UInt64 = 0
    var sawTerminal = false

    init(api: WireAPI) { self.api = api }

    static let done: [UInt8] = Array("[DONE]".utf8)
    static let terminalResponseEvents: Set<String> = [
        "response.completed", "response.failed", "response.incomplete", "error",
    ]

    /// Chat streams end with `data: [DONE]`; Responses streams with a terminal event type.
    func isTerminal(event: String?, data: [UInt8], document: () -> JSONDocument?) -> Bool {
        switch api {
        case .chatCompletions, .embeddings:
            return data == Self.done
        case .responses:
            if let event { return Self.terminalResponseEvents.contains(event) }
            guard let type = document()?.root["type"]?.string else { return false }
            return Self.terminalResponseEvents.contains(type)
        }
    }

    /// Keeps the upstream's `usage` object for the audit trail (parsing only events that mention it).
    func captureUsage(data: [UInt8], document: () -> JSONDocument?, exchange: Exchange) {
        guard data.count > 8, data.containsSubsequence(UsageScan.needle), let root = document()?.root else { return }
        let usage = api == .chatCompletions ? root["usage"] : root["response"]?["usage"]
        guard let usage, usage.kind == .object else { return }
        let json = String(decoding: usage.rawBytes, as: UTF8.self)
        exchange.state.withLock { $0.usageJSON = json }
    }
}

package enum UsageScan {
    package static let needle: [UInt8] = Array("\"usage\"".utf8)
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in the bytes. memchr for the first byte, then memcmp: this runs on every
    /// streamed event, and most events do not contain the needle's first byte often.
    package func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return withUnsafeBytes { haystack in
            needle.withUnsafeBytes { wanted in
                guard let base = haystack.baseAddress, let wantedBase = wanted.baseAddress else { return false }
                let last = haystack.count - wanted.count
                var offset = 0
                while offset <= last {
                    guard let hit = memchr(base + offset, Int32(wanted[0]), last - offset + 1) else { return false }
                    offset = UnsafeRawPointer(hit) - base
                    if memcmp(base + offset, wantedBase, wanted.count) == 0 { return true }
                    offset += 1
                }
                return false
            }
        }
    }
}
