import Foundation
import GatewayWire
import PolicyABI

#if canImport(Glibc)
    import Glibc
#endif

/// A plugin file that passed every check: opened, its entry called, its descriptor validated and copied.
///
/// The library is never unloaded (`RTLD_NODELETE`): unmapping a Swift plugin crashes the process at the
/// next protocol-conformance lookup, and descriptors and strings point into the library's memory.
package final class PluginLibrary: @unchecked Sendable {
    // @unchecked: every stored property is immutable after init; the descriptor is a value copy.
    package let path: String
    package let sha256: String
    /// The descriptor as the host sees it: the plugin's bytes, zero-extended to this host's struct size.
    package let descriptor: pab_plugin
    package let name: String
    package let version: String
    package let summary: String
    package let configSchema: String?

    package var capabilities: UInt64 { descriptor.capabilities }

    private struct FileKey: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    /// Libraries already loaded, by the identity of the file they were loaded from.
    private static let loaded = Locked<[FileKey: PluginLibrary]>([:])

    /// The library in `path`: the one already loaded when the file is unchanged (a config reload reuses it:
    /// no second descriptor, no second entry call), a newly loaded one otherwise. Install a changed plugin
    /// as a new file (`install -m 0644 new.so plugins.d/x.so`, or write elsewhere and `mv`): that is a new
    /// inode and loads as a new library. Writing into a loaded file in place changes code that is mapped
    /// and running (the process may crash at once, as with any shared library); should the process survive
    /// it, the reload is refused, because the dynamic loader would hand back the library it loaded from
    /// that inode before.
    package static func load(path: String, policy: String?, expectedSHA256: String?, pluginsDirectory: String)
        throws(PluginLoadError) -> PluginLibrary
    {
        let file = try PluginFileInspector.open(
            path: path, policy: policy, expectedSHA256: expectedSHA256, pluginsDirectory: pluginsDirectory)
        let key = FileKey(device: file.device, inode: file.inode)
        if let known = loaded.withLock({ $0[key] }) {
            file.close()
            guard known.sha256 == file.sha256 else {
                throw PluginLoadError(
                    file: path, policy: policy,
                    reason: "the file was rewritten in place while loaded (same inode, new contents); install plugin"
                        + " files as new files (install -m 0644 new.so \(path), or write elsewhere and mv)")
            }
            return known
        }
        let library = try PluginLibrary(file: file, policy: policy)
        loaded.withLock { $0[key] = library }
        return library
    }

    /// Opens and validates a plugin file. `policy` labels errors with the chain entry that wanted it.
    package convenience init(path: String, policy: String?, expectedSHA256: String?, pluginsDirectory: String)
        throws(PluginLoadError)
    {
        let file = try PluginFileInspector.open(
            path: path, policy: policy, expectedSHA256: expectedSHA256, pluginsDirectory: pluginsDirectory)
        try self.init(file: file, policy: policy)
    }

    private init(file: OpenedPluginFile, policy: String?) throws(PluginLoadError) {
        let path = file.path
        func fail(_ reason: String) -> PluginLoadError { PluginLoadError(file: path, policy: policy, reason: reason) }

        guard let handle = dlopen(file.loadPath, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            file.close()
            let message = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw fail("dlopen failed: " + message.replacingOccurrences(of: file.loadPath, with: path))
        }
        let sha256 = file.sha256  // the file stays open from here on (see OpenedPluginFile)
        guard let entry = dlsym(handle, PAB_ENTRY_SYMBOL) else {
            // Tell a plugin built for another major apart from a file that is no plugin at all.
            for major in 2...9 where dlsym(handle, "pab_plugin_entry_v\(major)") != nil {
                throw fail(
                    "built for PolicyABI v\(major); this gateway supports PolicyABI v\(PAB_ABI_MAJOR) "
                        + "(no \(PAB_ENTRY_SYMBOL) symbol)")
            }
            throw fail(
                "no entry point \(PAB_ENTRY_SYMBOL): not a PolicyABI plugin, or the symbol is not exported "
                    + "(C: mark it PAB_EXPORT; Swift: @_cdecl on a public func)")
        }
        let entryFunction = unsafeBitCast(entry, to: pab_plugin_entry_fn.self)
        guard let raw = PluginControl.serialized({ entryFunction(HostAPI.table) }) else {
            throw fail("the plugin refused to initialise (its entry function returned NULL; see its log lines above)")
        }
        let descriptor = try Self.validatedCopy(of: raw, fail: fail)
        self.path = path
        self.sha256 = sha256
        self.descriptor = descriptor
        self.name = String(cString: descriptor.name)
        self.version = String(cString: descriptor.version)
        self.summary = descriptor.description.map { String(cString: $0) } ?? ""
        self.configSchema = descriptor.config_schema_json.map { String(cString: $0) }
    }

    /// Checks the descriptor the plugin returned and copies it into a zeroed host-sized struct, so
    /// members a v1.0 plugin does not know read as zero/NULL.
    private static func validatedCopy(
        of raw: UnsafePointer<pab_plugin>, fail: (String) -> PluginLoadError
    ) throws(PluginLoadError) -> pab_plugin {
        let declaredSize = Int(raw.pointee.struct_size)
        let minimum = PluginABI.descriptorSizeV1_0
        guard declaredSize >= minimum else {
            throw fail(
                "descriptor too small: struct_size is \(declaredSize) bytes, PolicyABI v1.0 needs at least \(minimum)")
        }
        let major = raw.pointee.abi_major
        let minor = raw.pointee.abi_minor
        guard UInt32(major) == PAB_ABI_MAJOR else {
            throw fail("built for PolicyABI \(major).\(minor); this gateway supports PolicyABI \(PAB_ABI_MAJOR).x")
        }
        guard UInt32(minor) <= PAB_ABI_MINOR else {
            throw fail(
                "requires PolicyABI \(major).\(minor); this gateway provides \(PAB_ABI_MAJOR).\(PAB_ABI_MINOR) "
                    + "(the plugin is newer than the gateway: upgrade the gateway or rebuild the plugin)")
        }
        var copy = pab_plugin()
        withUnsafeMutableBytes(of: &copy) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: min(declaredSize, dst.count)))
        }
        guard let namePointer = copy.name else { throw fail("descriptor has no name") }
        let name = String(cString: namePointer)
        guard PolicyName.isValid(name) else {
            throw fail("descriptor name '\(name)' is invalid: use 1-64 of [a-z0-9-], starting with a letter or digit")
        }
        guard let versionPointer = copy.version, !String(cString: versionPointer).isEmpty else {
            throw fail("descriptor of '\(name)' has no version")
        }
        guard copy.create != nil else { throw fail("descriptor of '\(name)' has no create function (required)") }
        guard copy.destroy != nil else { throw fail("descriptor of '\(name)' has no destroy function (required)") }
        let hooks: [Bool] = [
            copy.on_request != nil, copy.on_response != nil, copy.on_stream_chunk != nil,
            copy.on_stream_end != nil, copy.exchange_begin != nil,
        ]
        guard hooks.contains(true) else {
            throw fail("descriptor of '\(name)' subscribes to nothing: set at least one hook or exchange_begin")
        }
        guard (copy.exchange_begin == nil) == (copy.exchange_end == nil) else {
            throw fail("descriptor of '\(name)' sets only one of exchange_begin / exchange_end; set both or neither")
        }
        let unknown = copy.capabilities & ~PluginABI.knownCapabilities
        guard unknown == 0 else {
            throw fail("descriptor of '\(name)' sets unknown capability bits 0x\(String(unknown, radix: 16))")
        }
        return copy
    }
}

/// ABI facts the host derives from the header.
package enum PluginABI {
    /// `PAB_PLUGIN_SIZE_V1_0`: offsetof(on_stream_end) + a pointer (C macros with offsetof don't import).
    package static let descriptorSizeV1_0 = MemoryLayout<pab_plugin>.offset(of: \pab_plugin.on_stream_end)! + 8
    package static let knownCapabilities: UInt64 =
        UInt64(PAB_CAP_MUTATES_REQUEST) | UInt64(PAB_CAP_MUTATES_RESPONSE) | UInt64(PAB_CAP_NEEDS_FULL_STREAM)
        | UInt64(PAB_CAP_SERIALIZE_CALLS) | UInt64(PAB_CAP_EXTENDED_SEGMENTS) | UInt64(PAB_CAP_INLINE_SAFE)
    package static var versionString: String { "\(PAB_ABI_MAJOR).\(PAB_ABI_MINOR)" }
}

/// Chain entry / plugin names: `[a-z0-9][a-z0-9-]*`, at most 64 characters.
package enum PolicyName {
    package static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        func ok(_ b: UInt8, first: Bool) -> Bool {
            (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || (!first && b == 0x2D)
        }
        return bytes.enumerated().allSatisfy { ok($1, first: $0 == 0) }
    }
}
