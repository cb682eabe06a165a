import GatewayWire
import Logging
import PolicyABI
import Synchronization

/// The `pab_host_api` table given to every plugin: the host services of PolicyABI v1, as C functions.
///
/// Each function recovers its Swift object from the opaque handle (`pab_call *` → `HookCall`,
/// `pab_host_instance *` → `PolicyHostHandle`). Views handed to a plugin point into the call's arena;
/// views received from a plugin are copied before returning, as the header promises.
package enum HostAPI {
    /// Lowest level written by plugin log calls; follows the gateway's configured log level.
    package static let minimumLogLevel = Atomic<UInt32>(PAB_LOG_INFO)

    /// Allocated once and never freed: plugins may keep the pointer for the life of the process.
    package nonisolated(unsafe) static let table: UnsafeMutablePointer<pab_host_api> = {
        let table = UnsafeMutablePointer<pab_host_api>.allocate(capacity: 1)
        table.initialize(to: makeTable())
        return table
    }()

    private static func makeTable() -> pab_host_api {
        var t = pab_host_api()
        t.struct_size = UInt32(MemoryLayout<pab_host_api>.size)
        t.abi_major = UInt16(PAB_ABI_MAJOR)
        t.abi_minor = UInt16(PAB_ABI_MINOR)
        t.log = { handle, level, message in HostAPI.log(handle, level, message) }
        t.log_enabled = { level in level >= HostAPI.minimumLogLevel.load(ordering: .relaxed) ? 1 : 0 }
        t.get_header = { c, set, name, out in HostAPI.getHeader(c, set, name, out) }
        t.set_header = { c, set, name, value in HostAPI.setHeader(c, set, name, value) }
        t.get_attribute = { c, id, out in HostAPI.getAttribute(c, id, out) }
        t.set_tag = { c, key, value in HostAPI.setTag(c, key, value) }
        t.get_tag = { c, key, out in HostAPI.getTag(c, key, out) }
        t.tag_count = { c in UInt32(HookCall.from(c)?.exchange.tags.count ?? 0) }
        t.tag_at = { c, index, key, value in HostAPI.tagAt(c, index, key, value) }
        t.deny = { c, status, code, message in HostAPI.deny(c, status, code, message) }
        t.replace_body = { c, body in HostAPI.replaceBody(c, body) }
        t.set_error = { c, message in HookCall.from(c)?.errorMessage = HostAPI.string(message) }
        t.segment_count = { c in UInt32(HookCall.from(c)?.segments.count ?? 0) }
        t.get_segment = { c, index, out in HostAPI.getSegment(c, index, out) }
        t.replace_segment_text = { c, index, text in HostAPI.replaceSegmentText(c, index, text) }
        t.insert_delta = { c, item, part, text in HostAPI.insertDelta(c, item, part, text) }
        t.counter_define = { handle, name, out in HostAPI.counterDefine(handle, name, out) }
        t.counter_add = { handle, id, delta in PolicyHostHandle.from(handle)?.addCounter(id, delta) }
        t.now_ns = { MonotonicClock.nanos() }
        t.deadline_ns = { c in HookCall.from(c)?.deadlineNanos ?? 0 }
        t.candidate_count = { c in UInt32(HookCall.from(c)?.candidateTargets.count ?? 0) }
        t.get_candidate = { c, index, out in HostAPI.getCandidate(c, index, out) }
        t.exclude_candidate = { c, index, reason in HostAPI.excludeCandidate(c, index, reason) }
        return t
    }

    // MARK: - views

    package static func bytes(_ view: pab_view) -> UnsafeBufferPointer<UInt8> {
        guard let ptr = view.ptr, view.len > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: ptr, count: view.len)
    }

    /// Decodes a plugin's view as text; invalid UTF-8 is repaired (U+FFFD) rather than trusted.
    package static func string(_ view: pab_view) -> String { String(decoding: bytes(view), as: UTF8.self) }

    package static func isValidUTF8(_ view: pab_view) -> Bool {
        String(validating: bytes(view), as: UTF8.self) != nil
    }

    private static func hand(_ text: String, from call: HookCall, to out: UnsafeMutablePointer<pab_view>?) {
        guard let out else { return }
        let (ptr, len) = call.arena.view(of: text)
        out.pointee = pab_view(ptr: ptr, len: len)
    }

    // MARK: - functions

    private static func log(_ handle: OpaquePointer?, _ level: pab_log_level, _ message: pab_view) {
        guard level >= minimumLogLevel.load(ordering: .relaxed) else { return }
        let text = string(message)
        let logger = PolicyHostHandle.from(handle)?.logger ?? Logger(label: "gatewayhost.plugin")
        let swiftLevel: Logger.Level =
            switch level {
            case PAB_LOG_TRACE: .trace
            case PAB_LOG_DEBUG: .debug
            case PAB_LOG_INFO: .info
            case PAB_LOG_WARN: .warning
            default: .error
            }
        logger.log(level: swiftLevel, "\(text)")
    }

    private static func getHeader(
        _ c: OpaquePointer?, _ set: pab_header_set, _ name: pab_view, _ out: UnsafeMutablePointer<pab_view>?
    ) -> pab_rc {
        guard let call = HookCall.from(c) else { return PAB_ERR_INVALID }
        let wanted = string(name).lowercased()
        let value: String?
        switch set {
        case PAB_HEADERS_REQUEST:
            // Credentials are the gateway's business: a plugin cannot read them, so none can leak them.
            if hiddenRequestHeaders.contains(wanted) { return PAB_ERR_NOT_FOUND }
            value =
                call.exchange.state.withLock { s in s.upstreamHeaders.last { $0.name == wanted }?.value }
                ?? call.exchange.requestHeader(wanted)
        case PAB_HEADERS_RESPONSE:
            if wanted == "set-cookie" { return PAB_ERR_NOT_FOUND }
            value = call.exchange.state.withLock { s in
                s.responseHeaders.last { $0.name == wanted }?.value
                    ?? s.upstreamResponseHeaders.first { $0.name.equalsIgnoringASCIICase(wanted) }?.value
            }
        default: return PAB_ERR_INVALID
        }
        guard let value else { return PAB_ERR_NOT_FOUND }
        hand(value, from: call, to: out)
        return PAB_OK
    }

    /// Request headers that read as absent through get_header: client credentials of every kind.
    package static let hiddenRequestHeaders: Set<String> = [
        "authorization", "api-key", "x-api-key", "cookie", "proxy-authorization",
    ]

    /// Headers a plugin must never set: credentials are the gateway's, framing is the server's.
    package static let protectedRequestHeaders: Set<String> = [
        "authorization", "api-key", "x-api-key", "host", "content-length", "transfer-encoding", "connection",
        "keep-alive", "upgrade", "te", "trailer", "proxy-authorization", "expect",
    ]

    private static func setHeader(_ c: OpaquePointer?, _ set: pab_header_set, _ name: pab_view, _ value: pab_view)
        -> pab_rc
    {
        guard let call = HookCall.from(c) else { return PAB_ERR_INVALID }
        let headerName = string(name).lowercased()
        let headerValue = string(value)
        guard HeaderSyntax.isValidName(headerName), HeaderSyntax.isValidValue(headerValue) else {
            return PAB_ERR_INVALID
        }
        switch set {
        case PAB_HEADERS_REQUEST:
            guard call.phase == .request, !protectedRequestHeaders.contains(headerName) else { return PAB_ERR_INVALID }
            call.exchange.state.withLock { s in
                s.upstreamHeaders.removeAll { $0.name == headerName }
                s.upstreamHeaders.append((headerName, headerValue))
            }
        case PAB_HEADERS_RESPONSE:
            guard call.phase == .request || call.phase == .response || call.phase == .begin else {
                return PAB_ERR_INVALID
            }
            guard !["content-length", "transfer-encoding", "connection", "content-type"].contains(headerName) else {
                return PAB_ERR_INVALID
            }
            call.exchange.state.withLock { s in
                s.responseHeaders.removeAll { $0.name == headerName }
                s.responseHeaders.append((headerName, headerValue))
            }
        default: return PAB_ERR_INVALID
        }
        return PAB_OK
    }

    private static func getAttribute(_ c: OpaquePointer?, _ id: UInt32, _ out: UnsafeMutablePointer<pab_view>?)
        -> pab_rc
    {
        guard let call = HookCall.from(c) else { return PAB_ERR_INVALID }
        let ex = call.exchange
        let value: String?
        switch id {
        case PAB_ATTR_REQUEST_ID: value = ex.requestID
        case PAB_ATTR_ROUTE: value = ex.route
        case PAB_ATTR_MODEL: value = ex.state.withLock { $0.model }
        case PAB_ATTR_CLIENT_ID: value = ex.clientID
        case PAB_ATTR_CLIENT_IP: value = ex.clientIP
        case PAB_ATTR_POLICY_NAME: value = call.policy.name
        case PAB_ATTR_PACK_NAME: value = ex.packName
        case PAB_ATTR_PACK_VERSION: value = ex.packVersion
        case PAB_ATTR_TARGET_ID: value = ex.state.withLock { $0.targetID }
        case PAB_ATTR_STATUS: value = ex.state.withLock { $0.status }.map(String.init)
        case PAB_ATTR_LATENCY_MS: value = ex.state.withLock { $0.latencyMs }.map(String.init)
        case PAB_ATTR_USAGE_JSON: value = ex.usage()
        case PAB_ATTR_COST_USD:
            let prices = ex.state.withLock { $0.priceTable }
            value = ex.usage().flatMap(UsageFigures.init(usageJSON:))?.cost(pricing: prices).map {
                String(format: "%.10g", $0)
            }
        case PAB_ATTR_VERDICTS_JSON: value = ex.verdictsJSON
        case PAB_ATTR_STREAM: value = ex.stream ? "true" : "false"
        case PAB_ATTR_ATTEMPTS_JSON:
            value = "[" + ex.state.withLock { $0.attempts }.map(\.json).joined(separator: ",") + "]"
        default: value = nil
        }
        guard let value else { return PAB_ERR_NOT_FOUND }
        hand(value, from: call, to: out)
        return PAB_OK
    }

    private static func setTag(_ c: OpaquePointer?, _ key: pab_view, _ value: pab_view) -> pab_rc {
        guard let call = HookCall.from(c), key.len > 0, key.len <= 128, value.len <= Exchange.maxTagValueBytes
        else { return PAB_ERR_INVALID }
        let fullKey = call.policy.name + "." + string(key)
        return call.exchange.setTag(fullKey, string(value)) ? PAB_OK : PAB_ERR_INVALID
    }

    private static func getTag(_ c: OpaquePointer?, _ key: pab_view, _ out: UnsafeMutablePointer<pab_view>?) -> pab_rc {
        guard let call = HookCall.from(c) else { return PAB_ERR_INVALID }
        guard let value = call.exchange.tag(string(key)) else { return PAB_ERR_NOT_FOUND }
        hand(value, from: call, to: out)
        return PAB_OK
    }

    private static func tagAt(
        _ c: OpaquePointer?, _ index: UInt32, _ key: UnsafeMutablePointer<pab_view>?,
        _ value: UnsafeMutablePointer<pab_view>?
    ) -> pab_rc {
        guard let call = HookCall.from(c) else { return PAB_ERR_INVALID }
        let tags = call.exchange.tags
        guard Int(index) < tags.count else { return PAB_ERR_NOT_FOUND }
        hand(tags[Int(index)].key, from: call, to: key)
        hand(tags[Int(index)].value, from: call, to: value)
        return PAB_OK
    }

    private static func deny(_ c: OpaquePointer?, _ status: UInt32, _ code: pab_view, _ message: pab_view) -> pab_rc {
        guard let call = HookCall.from(c) else { return PAB_ERR_INVALID }
        guard status == 0 || (400...599).contains(status) else { return PAB_ERR_INVALID }
        call.deny = DenyPayload(status: Int(status), code: string(code), message: string(message))
        return PAB_OK
    }

    private static func replaceBody(_ c: OpaquePointer?, _ body: pab_view) -> pab_rc {
        guard let call = HookCall.from(c) else { return PAB_ERR_INVALID }
        guard call.mayMutate else {
            call.misuse =
                "replace_body without the \(call.phase.isResponseSide ? "MUTATES_RESPONSE" : "MUTATES_REQUEST") capability"
            return PAB_ERR_INVALID
        }
        guard call.segmentEdits.isEmpty else { return PAB_ERR_INVALID }
        call.replacementBody = Array(bytes(body))
        return PAB_OK
    }

    private static func getSegment(_ c: OpaquePointer?, _ index: UInt32, _ out: UnsafeMutablePointer<pab_segment>?)
        -> pab_rc
    {
        guard let call = HookCall.from(c), let out else { return PAB_ERR_INVALID }
        let segments = call.segments
        guard Int(index) < segments.count else { return PAB_ERR_NOT_FOUND }
        let segment = segments[Int(index)]
        let text = call.segmentEdits[Int(index)] ?? segment.text
        var filled = pab_segment()
        filled.struct_size = UInt32(MemoryLayout<pab_segment>.size)
        filled.kind = segment.kind
        let (rolePtr, roleLen) = call.arena.view(of: segment.role)
        filled.role = pab_view(ptr: rolePtr, len: roleLen)
        let (textPtr, textLen) = call.arena.view(of: text)
        filled.text = pab_view(ptr: textPtr, len: textLen)
        filled.item_index = segment.itemIndex
        filled.part_index = segment.partIndex
        return handOut(&filled, to: out)
    }

    /// Copies a struct that starts with its `uint32_t struct_size` into the plugin's, writing no more than
    /// the plugin's `struct_size` says it holds (it may be an older, smaller version), and sets that size.
    private static func handOut<T>(_ value: inout T, to out: UnsafeMutablePointer<T>) -> pab_rc {
        let plugin = UnsafeMutableRawPointer(out)
        let size = min(Int(plugin.load(as: UInt32.self)), MemoryLayout<T>.size)
        guard size >= MemoryLayout<UInt32>.size else { return PAB_ERR_INVALID }
        withUnsafeBytes(of: &value) { plugin.copyMemory(from: $0.baseAddress!, byteCount: size) }
        plugin.storeBytes(of: UInt32(size), as: UInt32.self)
        return PAB_OK
    }

    private static func replaceSegmentText(_ c: OpaquePointer?, _ index: UInt32, _ text: pab_view) -> pab_rc {
        guard let call = HookCall.from(c) else { return PAB_ERR_INVALID }
        guard call.mayMutate else {
            call.misuse =
                "replace_segment_text without the \(call.phase.isResponseSide ? "MUTATES_RESPONSE" : "MUTATES_REQUEST") capability"
            return PAB_ERR_INVALID
        }
        guard call.replacementBody == nil, isValidUTF8(text) else { return PAB_ERR_INVALID }
        guard Int(index) < call.segments.count else { return PAB_ERR_NOT_FOUND }
        call.segmentEdits[Int(index)] = string(text)
        return PAB_OK
    }

    private static func getCandidate(
        _ c: OpaquePointer?, _ index: UInt32, _ out: UnsafeMutablePointer<pab_candidate>?
    ) -> pab_rc {
        guard let call = HookCall.from(c), let out else { return PAB_ERR_INVALID }
        let targets = call.candidateTargets
        guard Int(index) < targets.count else { return PAB_ERR_NOT_FOUND }
        let target = targets[Int(index)]
        let policy = target.dataPolicy
        var filled = pab_candidate()
        filled.struct_size = UInt32(MemoryLayout<pab_candidate>.size)
        filled.declared = policy.declared ? 1 : 0
        func view(_ text: String) -> pab_view {
            let (ptr, len) = call.arena.view(of: text)
            return pab_view(ptr: ptr, len: len)
        }
        filled.id = view(target.id)
        filled.provider = view(target.provider)
        filled.model = view(target.model)
        filled.region = view(policy.region ?? "")
        filled.zero_data_retention = policy.zeroDataRetention ? 1 : 0
        filled.no_training = policy.noTraining || policy.zeroDataRetention ? 1 : 0
        filled.retention_days = policy.retentionDays.map(Int64.init) ?? -1
        filled.excluded = call.exchange.state.withLock { $0.excludedTargets[target.id] != nil } ? 1 : 0
        return handOut(&filled, to: out)
    }

    private static func excludeCandidate(_ c: OpaquePointer?, _ index: UInt32, _ reason: pab_view) -> pab_rc {
        guard let call = HookCall.from(c), call.phase == .request else { return PAB_ERR_INVALID }
        let targets = call.candidateTargets
        guard Int(index) < targets.count else { return PAB_ERR_NOT_FOUND }
        let why = "excluded by policy '\(call.policy.name)'" + (reason.len > 0 ? ": " + string(reason) : "")
        call.exchange.state.withLock { $0.excludedTargets[targets[Int(index)].id] = why }
        return PAB_OK
    }

    private static func insertDelta(_ c: OpaquePointer?, _ item: UInt32, _ part: UInt32, _ text: pab_view) -> pab_rc {
        guard let call = HookCall.from(c) else { return PAB_ERR_INVALID }
        guard call.phase == .streamChunk, call.policy.has(UInt64(PAB_CAP_MUTATES_RESPONSE)) else {
            call.misuse = "insert_delta outside on_stream_chunk or without the MUTATES_RESPONSE capability"
            return PAB_ERR_INVALID
        }
        guard isValidUTF8(text) else { return PAB_ERR_INVALID }
        if text.len > 0 { call.insertedDeltas.append((item, part, string(text))) }
        return PAB_OK
    }

    private static func counterDefine(_ handle: OpaquePointer?, _ name: pab_view, _ out: UnsafeMutablePointer<UInt32>?)
        -> pab_rc
    {
        guard let host = PolicyHostHandle.from(handle), let out else { return PAB_ERR_INVALID }
        let counter = string(name)
        let valid =
            (1...64).contains(counter.utf8.count)
            && counter.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
        guard valid else { return PAB_ERR_INVALID }
        out.pointee = host.defineCounter(counter)
        return PAB_OK
    }
}

/// RFC 9110 token / field-value checks, so no plugin can inject a header line.
package enum HeaderSyntax {
    package static func isValidName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                    || "!#$%&'*+-.^_`|~".utf8.contains(b)
            }
    }

    package static func isValidValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
    }
}
