import GatewayWire

/// One client request/response pair as the policy chain sees it: the attributes plugins can read, the
/// tags they share along the chain, and the verdicts recorded for the audit log.
///
/// Hooks of one exchange run one after another, but a hook abandoned after its deadline may still call
/// the host while the next one runs, so the mutable part sits behind a mutex (uncontended in practice).
package final class Exchange: Sendable {
    package static let maxTags = 256
    package static let maxTagValueBytes = 4096

    package let requestID: String
    package let route: String
    package let api: WireAPI
    package let clientID: String
    package let clientIP: String
    package let stream: Bool
    package let packName: String
    package let packVersion: String
    /// Monotonic arrival time, for latency.
    package let startNanos: UInt64
    /// The client's request headers, names lowercased. Immutable: header edits are recorded separately.
    package let requestHeaders: [(name: String, value: String)]

    package struct Verdict: Sendable, Equatable {
        package let policy: String
        package let hook: String
        package let verdict: String
    }

    package struct State: Sendable {
        package var model: String
        package var targetID: String?
        package var status: Int?
        package var latencyMs: Int?
        package var usageJSON: String?
        /// Every upstream attempt so far, in order (PAB_ATTR_ATTEMPTS_JSON, the log, x-gatewayhost-attempts).
        package var attempts: [AttemptRecord] = []
        /// A non-streamed answer's body, kept (not copied) so that `usage()` can read its usage object
        /// when a plugin asks: parsing every answer for it would cost every request, asked or not.
        package var answerBody: [UInt8]?
        package var tagKeys: [String] = []
        package var tagValues: [String: String] = [:]
        package var verdicts: [Verdict] = []
        /// Headers plugins set for the client's response (name lowercased → value).
        package var responseHeaders: [(name: String, value: String)] = []
        /// Headers plugins set on the upstream request.
        package var upstreamHeaders: [(name: String, value: String)] = []
        /// The upstream's response headers, once it answered (readable by plugins; not all are relayed).
        package var upstreamResponseHeaders: [(name: String, value: String)] = []
        /// Targets policies excluded from routing (`exclude_candidate`), with their reasons.
        package var excludedTargets: [String: String] = [:]
        /// Monotonic time the answer's head (or a stream's first event) was handed to the client.
        package var firstByteNanos: UInt64?
        package var bytesIn = 0
        package var bytesOut = 0
        /// Upstream events a streamed answer relayed.
        package var streamEvents = 0
        /// What the rate limits and budgets admitted (given back or corrected when the exchange ends).
        package var limitAdmission: UsageLimiter.Admission?
        /// The gateway asked the upstream for stream usage the client did not ask for: the usage chunk
        /// (and `"usage": null` members) are taken out of what the client receives.
        package var hideUsageChunk = false
        /// The serving target's prices, for PAB_ATTR_COST_USD.
        package var priceTable: (prompt: Double, completion: Double, cachedInput: Double?)?
        /// The request's estimated tokens (prompt + its answer cap), for limits and cut-stream estimates.
        package var estimate = RequestEstimate()
        /// The policy that denied or failed the exchange, and the error code the client got.
        package var blockedPolicy: String?
        package var errorCode: String?
    }

    /// The exchange's spans, when tracing is on.
    package let trace: ExchangeTrace?

    /// The targets that may serve a model, for `get_candidate` (set by the server; none in tests that
    /// route nothing).
    package let candidates: (@Sendable (_ model: String) -> [Target])?

    package let state: Locked<State>

    package init(
        requestID: String, route: String, api: WireAPI, model: String, clientID: String, clientIP: String,
        stream: Bool, packName: String, packVersion: String, requestHeaders: [(name: String, value: String)],
        startNanos: UInt64 = MonotonicClock.nanos(), candidates: (@Sendable (_ model: String) -> [Target])? = nil,
        trace: ExchangeTrace? = nil
    ) {
        self.candidates = candidates
        self.trace = trace
        self.requestID = requestID
        self.route = route
        self.api = api
        self.clientID = clientID
        self.clientIP = clientIP
        self.stream = stream
        self.packName = packName
        self.packVersion = packVersion
        self.requestHeaders = requestHeaders
        self.startNanos = startNanos
        self.state = Locked(State(model: model))
    }

    /// Sets `key` (already namespaced) to `value`; false when the tag table is full.
    package func setTag(_ key: String, _ value: String) -> Bool {
        state.withLock { s in
            if s.tagValues[key] == nil {
                guard s.tagKeys.count < Self.maxTags else { return false }
                s.tagKeys.append(key)
            }
            s.tagValues[key] = value
            return true
        }
    }

    package func tag(_ key: String) -> String? { state.withLock { $0.tagValues[key] } }

    /// Tags in the order they were first set.
    package var tags: [(key: String, value: String)] {
        state.withLock { s in s.tagKeys.map { ($0, s.tagValues[$0] ?? "") } }
    }

    package func record(_ verdict: Verdict) { state.withLock { $0.verdicts.append(verdict) } }

    package var verdicts: [Verdict] { state.withLock { $0.verdicts } }

    /// The answer's `usage` object as JSON text: from the stream's last usage event, or parsed on first
    /// use from the non-streamed answer.
    package func usage() -> String? {
        let (known, body) = state.withLock { ($0.usageJSON, $0.answerBody) }
        if let known { return known }
        guard let body, let document = try? JSONDocument(parsing: body), let usage = document.root["usage"],
            usage.kind == .object
        else { return nil }
        let json = String(decoding: usage.rawBytes, as: UTF8.self)
        state.withLock {
            $0.usageJSON = json
            $0.answerBody = nil
        }
        return json
    }

    package func requestHeader(_ name: String) -> String? {
        let lower = name.lowercased()
        return requestHeaders.first { $0.name == lower }?.value
    }

    /// The JSON array of verdicts, for PAB_ATTR_VERDICTS_JSON and the audit log.
    package var verdictsJSON: String {
        let items = verdicts.map {
            "{\"policy\":\(jsonQuoted($0.policy)),\"hook\":\(jsonQuoted($0.hook)),\"verdict\":\(jsonQuoted($0.verdict))}"
        }
        return "[" + items.joined(separator: ",") + "]"
    }
}
