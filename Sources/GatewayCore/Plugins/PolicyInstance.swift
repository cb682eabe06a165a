import GatewayWire
import Logging
import PolicyABI
import Synchronization

/// The host's side of one policy instance, handed to the plugin as `pab_host_instance *` for logging
/// and counters. Lives as long as the process (plugins may keep the pointer on background threads).
package final class PolicyHostHandle: Sendable {
    package let policy: String
    package let logger: Logger
    private let counters = Locked<[(name: String, value: UInt64)]>([])
    /// Exports the counters to /metrics (nil in tests that run chains without metrics).
    package let telemetry: PolicyTelemetry?

    package init(policy: String, logger: Logger, telemetry: PolicyTelemetry? = nil) {
        self.policy = policy
        self.telemetry = telemetry
        var logger = logger
        logger[metadataKey: "policy"] = .string(policy)
        self.logger = logger
    }

    /// Defines a counter; defining the same name twice returns the same id.
    package func defineCounter(_ name: String) -> UInt32 {
        let id = counters.withLock { list in
            if let index = list.firstIndex(where: { $0.name == name }) { return UInt32(index) }
            list.append((name, 0))
            return UInt32(list.count - 1)
        }
        telemetry?.definePluginCounter(id: id, name: name)
        return id
    }

    package func addCounter(_ id: UInt32, _ delta: UInt64) {
        counters.withLock { list in
            guard Int(id) < list.count else { return }
            list[Int(id)].value &+= delta
        }
        telemetry?.addPluginCounter(id: id, delta: delta)
    }

    package var opaque: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    package static func from(_ pointer: OpaquePointer?) -> PolicyHostHandle? {
        guard let pointer else { return nil }
        return Unmanaged<PolicyHostHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}

/// One configured chain entry: a plugin library plus the instance its `create` made from the policy's config.
package final class PolicyInstance: @unchecked Sendable {
    // @unchecked: all stored properties are immutable after init except `serialLock`, a Mutex. The
    // plugin's instance pointer is only passed back to the plugin, which promises reentrancy (or asks
    // for PAB_CAP_SERIALIZE_CALLS, which `serialLock` provides).
    package let name: String
    package let library: PluginLibrary
    package let failMode: FailMode
    package let timeoutNanos: UInt64
    package let host: PolicyHostHandle
    package let instance: OpaquePointer?
    private let serializes: Bool
    /// The plugin set PAB_CAP_EXTENDED_SEGMENTS: it sees the v1.1 segment kinds.
    package let seesExtendedSegments: Bool
    private let serialLock = Locked<Void>(())
    /// Whether hooks may run inline on an event loop (PAB_CAP_INLINE_SAFE, and no call over budget yet).
    package let inline: InlineStatus
    /// Counted plugin failures (error verdicts, timeouts, bad payloads); `plugins check` reports them.
    package let errorCount = Atomic<UInt64>(0)
    /// This instance's metrics; nil when the chain runs without them (tests, `plugins check`).
    package let telemetry: PolicyTelemetry?
    private let metrics: GatewayMetrics?

    package var descriptor: pab_plugin { library.descriptor }
    package func has(_ capability: UInt64) -> Bool { library.capabilities & capability != 0 }

    package init(
        name: String, library: PluginLibrary, configJSON: String, failMode: FailMode, timeoutMs: Int,
        logger: Logger, metrics: GatewayMetrics? = nil
    ) throws(PluginLoadError) {
        self.name = name
        self.library = library
        self.failMode = failMode
        self.timeoutNanos = UInt64(max(timeoutMs, 1)) * 1_000_000
        let telemetry = metrics.map { PolicyTelemetry(policy: name, metrics: $0) }
        self.telemetry = telemetry
        self.metrics = metrics
        self.host = PolicyHostHandle(policy: name, logger: logger, telemetry: telemetry)
        self.serializes = library.capabilities & UInt64(PAB_CAP_SERIALIZE_CALLS) != 0
        self.seesExtendedSegments = library.capabilities & UInt64(PAB_CAP_EXTENDED_SEGMENTS) != 0
        self.inline = InlineStatus(promised: library.capabilities & UInt64(PAB_CAP_INLINE_SAFE) != 0)

        let hostHandle = host
        var created: OpaquePointer?
        var errorBuffer = [CChar](repeating: 0, count: 1024)
        let rc: pab_rc = name.withCString { namePointer in
            configJSON.withCString { configPointer in
                var args = pab_create_args()
                args.struct_size = UInt32(MemoryLayout<pab_create_args>.size)
                args.host = UnsafePointer(HostAPI.table)
                args.host_instance = hostHandle.opaque
                args.policy_name = pab_view(
                    ptr: UnsafeRawPointer(namePointer).assumingMemoryBound(to: UInt8.self), len: name.utf8.count)
                args.config_json = pab_view(
                    ptr: UnsafeRawPointer(configPointer).assumingMemoryBound(to: UInt8.self),
                    len: configJSON.utf8.count)
                return errorBuffer.withUnsafeMutableBufferPointer { err in
                    PluginControl.serialized { library.descriptor.create!(&args, &created, err.baseAddress, err.count) }
                }
            }
        }
        guard rc == PAB_OK, created != nil else {
            errorBuffer[errorBuffer.count - 1] = 0
            let message = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let detail = message.isEmpty ? "(no message)" : message
            let why = rc == PAB_OK ? "create returned PAB_OK but no instance" : "create failed: \(detail)"
            throw PluginLoadError(file: library.path, policy: name, reason: why)
        }
        self.instance = created
        PolicyTelemetry.instanceCreated(metrics)
    }

    /// Runs `body` under the instance lock when the plugin asked for serialised calls.
    @inline(__always)
    package func serialized<T>(_ body: () -> T) -> T {
        if serializes { return serialLock.withLock { _ in body() } }
        return body()
    }

    /// Measures one hook call against the chain's inline budget (see `InlineStatus`).
    @inline(__always)
    package func finished(_ phase: HookPhase, nanos: UInt64, budgetNanos: UInt64) {
        telemetry?.hookFinished(phase, nanos: nanos)
        if inline.promised,
            let reason = inline.check(nanos: nanos, budgetNanos: budgetNanos, timeoutNanos: timeoutNanos)
        {
            host.logger.warning(
                "policy \(name) declares PAB_CAP_INLINE_SAFE, but its calls break the promise (\(phase.rawValue) took \(nanos / 1000) µs; \(reason), budget \(budgetNanos / 1000) µs): its hooks run on the policy threads from now on"
            )
            telemetry?.inlineDemoted()
        }
    }

    deinit {
        // Only reached when the whole chain goes away (shutdown, a retired config generation after its last
        // exchange, tests): every hook has returned by then.
        let destroy = library.descriptor.destroy!
        let instance = instance
        PluginControl.serialized { destroy(instance) }
        PolicyTelemetry.instanceDestroyed(metrics)
    }
}
