// ExampleSwiftPolicy.swift: the template for a PolicyABI v1 plugin written in Swift.
//
// Copy this target to start a Swift policy. It depends on the `PolicyABI` header target only, never on the
// gateway: the plugin and the gateway meet at the C ABI in policy_abi.h, nowhere else. SwiftPM builds it as
// `.build/<debug|release>/libExampleSwiftPolicy.so` (a `.dynamic` library product); copy that file into
// `plugins.d/` as `example-swift.so`, or point `policy.example-swift.plugin.file` at it.
//
// The policy: it counts the characters (Unicode code points) of the user's text in a request, tags the
// exchange with the count (`example-swift.chars`), and denies with 413 when the count is above the config's
// `max_chars` (default 8000):
//
//   policy:
//     example-swift:
//       max_chars: 4000
//
// Things every Swift plugin must get right, all shown below:
//  - The entry function is `@_cdecl("pab_plugin_entry_v1") public func`. It must be `public`: an internal
//    function is exported by debug builds only and vanishes from release builds.
//  - Only C types cross the boundary. Swift objects reach the host as opaque pointers (Unmanaged), and every
//    string the host hands in is a borrowed `pab_view`, valid only until the call returns.
//  - Never let a Swift error escape, and never trap (`!`, `try!`, overflow, out-of-range index): a trap in a
//    plugin takes the whole gateway down. Catch everything inside each function handed to the host.
//  - The host runs hooks of one instance on many threads at once: keep the instance immutable after create.
//  - The host opens plugins with RTLD_NODELETE and never unloads them: a Swift library cannot be unloaded
//    safely. It also needs the host and plugin to share one Swift runtime, which holds for a normal
//    (dynamically linked) gateway build.

import PolicyABI

#if canImport(FoundationEssentials)
    import FoundationEssentials  // JSONDecoder without all of Foundation
#else
    import Foundation
#endif

// MARK: - The descriptor and the entry function

/// The plugin descriptor, allocated once and never freed: the host keeps a pointer to it (and to its
/// strings) for the life of the process. Swift initialises globals lazily and thread-safely, on first use.
/// `nonisolated(unsafe)`: the pointee is written only inside this initialiser, then only read.
nonisolated(unsafe) let descriptor: UnsafeMutablePointer<pab_plugin> = {
    let plugin = UnsafeMutablePointer<pab_plugin>.allocate(capacity: 1)
    plugin.initialize(to: pab_plugin())  // zeroed: NULL for every hook we do not subscribe to
    plugin.pointee.struct_size = UInt32(MemoryLayout<pab_plugin>.size)
    plugin.pointee.abi_major = UInt16(PAB_ABI_MAJOR)
    plugin.pointee.abi_minor = UInt16(PAB_ABI_MINOR)
    // String literals passed as StaticString live in the binary's read-only data, NUL-terminated.
    plugin.pointee.name = cString("example-swift")  // must equal the chain entry's name
    plugin.pointee.version = cString("1.0.0")
    plugin.pointee.description = cString("Denies requests whose user text is longer than max_chars.")
    plugin.pointee.capabilities = 0  // reads only: no PAB_CAP_MUTATES_*
    plugin.pointee.config_schema_json = cString(  // shown by `gatewayhost plugins list`
        #"""
        {"type":"object","additionalProperties":false,
         "properties":{"max_chars":{"type":"integer","minimum":1,"maximum":100000000,"default":8000}}}
        """#)
    // Function pointers: closures that capture nothing convert to @convention(c) pointers.
    plugin.pointee.create = { args, out, err, errCapacity in
        ExampleSwiftPolicy.create(args, out, err, errCapacity)
    }
    plugin.pointee.destroy = { instance in
        guard let instance else { return }
        Unmanaged<ExampleSwiftPolicy>.fromOpaque(UnsafeRawPointer(instance)).release()
    }
    plugin.pointee.on_request = { instance, _, call, _ in
        guard let instance else { return PAB_VERDICT_ERROR }
        return Unmanaged<ExampleSwiftPolicy>.fromOpaque(UnsafeRawPointer(instance)).takeUnretainedValue()
            .onRequest(call)
    }
    return plugin
}()

/// A `const char *` for a string literal. Only for literals: the pointer must outlive the process.
private func cString(_ literal: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(literal.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// The one symbol the host looks up. policy_abi.h hides its C prototype from Swift, so this definition does
/// not clash with it. Called once per process, on the host's control thread.
@_cdecl("pab_plugin_entry_v1")
public func pabPluginEntryV1(_ host: UnsafePointer<pab_host_api>?) -> UnsafePointer<pab_plugin>? {
    // A plugin that needs a newer host than it got can refuse here: log why, then return nil.
    UnsafePointer(descriptor)
}

// MARK: - The instance

/// One configured chain entry, from create until destroy.
///
/// `@unchecked Sendable`: hooks run concurrently on the host's worker threads. Every stored property is a `let`
/// set in `init`; the functions and `hostInstance` belong to the host, which keeps them valid and thread-safe
/// for the instance's whole life. So sharing the instance needs no lock.
final class ExampleSwiftPolicy: @unchecked Sendable {
    let host: HostFunctions
    let hostInstance: OpaquePointer?
    let maxChars: Int
    let blockedCounter: UInt32

    init(host: HostFunctions, hostInstance: OpaquePointer?, maxChars: Int, blockedCounter: UInt32) {
        self.host = host
        self.hostInstance = hostInstance
        self.maxChars = maxChars
        self.blockedCounter = blockedCounter
    }

    /// The descriptor's `create`: reads the config, defines the counter, hands the host a retained instance.
    /// On failure writes a reason naming the config key into `err`; the gateway prints it and does not start.
    static func create(
        _ args: UnsafePointer<pab_create_args>?, _ out: UnsafeMutablePointer<OpaquePointer?>?,
        _ err: UnsafeMutablePointer<CChar>?, _ errCapacity: Int
    ) -> pab_rc {
        guard let args, let out, let api = args.pointee.host, let host = HostFunctions(api) else {
            write("the host table lacks a PolicyABI v1.0 function", to: err, capacity: errCapacity)
            return PAB_ERR_FAILED
        }
        let config: Config
        do {
            config = try Config(json: args.pointee.config_json)
        } catch {
            write(error.message, to: err, capacity: errCapacity)
            return PAB_ERR_FAILED
        }
        let hostInstance = args.pointee.host_instance
        var counter: UInt32 = 0
        // Counters can only be defined here, in create.
        guard withView("blocked_requests", { host.counterDefine(hostInstance, $0, &counter) }) == PAB_OK else {
            write("could not define the counter blocked_requests", to: err, capacity: errCapacity)
            return PAB_ERR_FAILED
        }
        let policy = ExampleSwiftPolicy(
            host: host, hostInstance: hostInstance, maxChars: config.maxChars, blockedCounter: counter)
        policy.log(PAB_LOG_INFO, "example-swift: max_chars \(config.maxChars)")
        // passRetained: the host now owns one reference; destroy releases it.
        out.pointee = OpaquePointer(Unmanaged.passRetained(policy).toOpaque())
        return PAB_OK
    }

    // MARK: Hooks

    /// on_request: count the user's characters, tag the count, deny above the limit.
    func onRequest(_ call: OpaquePointer?) -> pab_verdict {
        var chars = 0
        let count = host.segmentCount(call)
        for index in 0..<count {
            var segment = pab_segment()
            segment.struct_size = UInt32(MemoryLayout<pab_segment>.size)  // which pab_segment we know
            guard host.getSegment(call, index, &segment) == PAB_OK else { continue }
            // An empty role means the host could not tell; count it as the user's, to be safe.
            guard segment.role.len == 0 || segment.role.equals("user") else { continue }
            chars += segment.text.codePointCount
        }
        // Tags hold counts and types, never user content: they reach the audit log.
        _ = setTag(call, key: "chars", value: String(chars))
        guard chars > maxChars else { return PAB_VERDICT_ALLOW }

        let message = "The request has \(chars) characters of user text; this gateway accepts at most \(maxChars)."
        let rc = withView("input_too_long") { code in
            withView(message) { text in host.deny(call, 413, code, text) }
        }
        guard rc == PAB_OK else {
            setError(call, "deny() refused the answer")
            return PAB_VERDICT_ERROR
        }
        host.counterAdd(hostInstance, blockedCounter, 1)
        return PAB_VERDICT_DENY
    }

    // MARK: Host helpers (each passes a borrowed view the host copies before returning)

    func log(_ level: pab_log_level, _ message: String) {
        withView(message) { host.log(hostInstance, level, $0) }
    }

    func setTag(_ call: OpaquePointer?, key: String, value: String) -> pab_rc {
        withView(key) { key in withView(value) { value in host.setTag(call, key, value) } }
    }

    func setError(_ call: OpaquePointer?, _ message: String) {
        withView(message) { host.setError(call, $0) }
    }
}

/// The host functions this plugin calls, unwrapped once in create. C function pointers import as optionals;
/// a v1.x host sets every v1.0 member, so a missing one means a broken host and create refuses to run.
/// (A member added after v1.0 would need a `PAB_HAS`-style check of `struct_size` first.)
struct HostFunctions {
    let log: @convention(c) (OpaquePointer?, pab_log_level, pab_view) -> Void
    let setTag: @convention(c) (OpaquePointer?, pab_view, pab_view) -> pab_rc
    let deny: @convention(c) (OpaquePointer?, UInt32, pab_view, pab_view) -> pab_rc
    let setError: @convention(c) (OpaquePointer?, pab_view) -> Void
    let segmentCount: @convention(c) (OpaquePointer?) -> UInt32
    let getSegment: @convention(c) (OpaquePointer?, UInt32, UnsafeMutablePointer<pab_segment>?) -> pab_rc
    let counterDefine: @convention(c) (OpaquePointer?, pab_view, UnsafeMutablePointer<UInt32>?) -> pab_rc
    let counterAdd: @convention(c) (OpaquePointer?, UInt32, UInt64) -> Void

    init?(_ api: UnsafePointer<pab_host_api>) {
        let table = api.pointee
        guard let log = table.log, let setTag = table.set_tag, let deny = table.deny, let setError = table.set_error,
            let segmentCount = table.segment_count, let getSegment = table.get_segment,
            let counterDefine = table.counter_define, let counterAdd = table.counter_add
        else { return nil }
        self.log = log
        self.setTag = setTag
        self.deny = deny
        self.setError = setError
        self.segmentCount = segmentCount
        self.getSegment = getSegment
        self.counterDefine = counterDefine
        self.counterAdd = counterAdd
    }
}

// MARK: - Config

/// The policy's settings, decoded from the canonical JSON the host passes to create.
struct Config {
    var maxChars = 8000

    struct Invalid: Error {
        let message: String
    }

    init(json: pab_view) throws(Invalid) {
        let bytes = Data(UnsafeRawBufferPointer(start: json.ptr, count: json.len))
        let object: [String: JSONScalar]
        do {
            object = try JSONDecoder().decode([String: JSONScalar].self, from: bytes)
        } catch {
            throw Invalid(message: "the config must be a JSON object of numbers, strings and booleans")
        }
        // Refuse keys we do not know: a typo must not silently leave the default in place.
        for key in object.keys.sorted() where key != "max_chars" {
            throw Invalid(message: "unknown config key '\(key)'; known keys: max_chars")
        }
        if let value = object["max_chars"] {
            guard case .integer(let number) = value, (1...100_000_000).contains(number) else {
                throw Invalid(message: "max_chars must be an integer between 1 and 100000000")
            }
            maxChars = number
        }
    }
}

/// One JSON value of a flat config object.
enum JSONScalar: Decodable {
    case integer(Int)
    case number(Double)
    case string(String)
    case bool(Bool)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }
}

// MARK: - Views

/// Calls `body` with a borrowed view of `text`'s UTF-8. The view dies when `body` returns, which is fine:
/// the host copies everything it is given before the host function returns.
private func withView<Result>(_ text: String, _ body: (pab_view) -> Result) -> Result {
    var text = text
    return text.withUTF8 { body(pab_view(ptr: $0.baseAddress, len: $0.count)) }
}

private func write(_ message: String, to buffer: UnsafeMutablePointer<CChar>?, capacity: Int) {
    guard let buffer, capacity > 0 else { return }
    let bytes = Array(message.utf8.prefix(capacity - 1))
    for (index, byte) in bytes.enumerated() { buffer[index] = CChar(bitPattern: byte) }
    buffer[bytes.count] = 0
}

extension pab_view {
    /// The bytes, borrowed: valid only while the host's view is.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: ptr, count: len) }

    func equals(_ text: StaticString) -> Bool {
        len == text.utf8CodeUnitCount && memoryEquals(text)
    }

    private func memoryEquals(_ text: StaticString) -> Bool {
        let other = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        return bytes.elementsEqual(other)
    }

    /// Unicode code points in valid UTF-8: every byte that is not a continuation byte (10xxxxxx) starts one.
    var codePointCount: Int { bytes.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }
}
