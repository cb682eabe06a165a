import Crypto
import Foundation
import GatewayWire

#if canImport(Glibc)
    import Glibc
#endif

/// The checks made on a plugin file BEFORE `dlopen`, because `dlopen` already runs the library's
/// constructors: once it is called, the code has executed. The file is opened once and every check
/// (and later the `dlopen` itself, through `/proc/self/fd/N`) uses that descriptor, so the bytes that
/// were checked are the bytes that run, whatever happens to the path in between.
///
/// Once the library is loaded the descriptor stays open for the life of the process: the dynamic loader
/// knows the library by its load path, and a closed descriptor's number would be reused for the next
/// plugin, which glibc would then take for the already loaded one.
package struct OpenedPluginFile {
    package let path: String
    package let fd: Int32
    package let sha256: String
    /// The file's identity: glibc's `dlopen` returns an already loaded library for the same device and
    /// inode, whatever the path (see `PluginLibrary.load`).
    package let device: UInt64
    package let inode: UInt64

    /// The path `dlopen` is given: the already opened, already verified file.
    package var loadPath: String { "/proc/self/fd/\(fd)" }

    /// Closes the file when it was not loaded after all.
    package func close() { _ = Glibc.close(fd) }
}

package enum PluginFileInspector {
    /// Machines we can recognise in an ELF header, to tell "built for aarch64" from garbage.
    private static let machineNames: [UInt16: String] = [
        3: "i386", 40: "arm", 62: "x86_64", 183: "aarch64", 243: "riscv64", 20: "powerpc", 21: "powerpc64",
    ]

    #if arch(x86_64)
        package static let hostMachine: UInt16 = 62
    #elseif arch(arm64)
        package static let hostMachine: UInt16 = 183
    #else
        package static let hostMachine: UInt16 = 0
    #endif

    /// Opens `path` and runs every pre-`dlopen` check. `policy` only labels the errors.
    package static func open(
        path: String, policy: String?, expectedSHA256: String?, pluginsDirectory: String
    ) throws(PluginLoadError) -> OpenedPluginFile {
        func fail(_ reason: String) -> PluginLoadError { PluginLoadError(file: path, policy: policy, reason: reason) }

        var pathStat = stat()
        if lstat(path, &pathStat) != 0 {
            if errno == ENOENT { throw fail("no such file; \(describeFolder(pluginsDirectory))") }
            throw fail("cannot read file information: \(String(cString: strerror(errno)))")
        }
        if (pathStat.st_mode & S_IFMT) == S_IFLNK {
            throw fail("is a symbolic link; plugins must be regular files (copy the file instead of linking it)")
        }
        try checkFolder(of: path, fail: fail)

        let fd = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 { throw fail("cannot open: \(String(cString: strerror(errno)))") }
        var fileStat = stat()
        guard fstat(fd, &fileStat) == 0 else {
            close(fd)
            throw fail("cannot read file information: \(String(cString: strerror(errno)))")
        }
        do throws(PluginLoadError) {
            try checkOwnership(fileStat, what: "file", fail: fail)
            guard (fileStat.st_mode & S_IFMT) == S_IFREG else { throw fail("is not a regular file") }
            let bytes = try readAll(fd: fd, size: Int(fileStat.st_size), fail: fail)
            try checkELF(bytes, fail: fail)
            let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            if let expected = expectedSHA256, expected.lowercased() != digest {
                throw fail("sha256 mismatch: the config pins \(expected.lowercased()), the file has \(digest)")
            }
            return OpenedPluginFile(
                path: path, fd: fd, sha256: digest, device: UInt64(fileStat.st_dev), inode: UInt64(fileStat.st_ino))
        } catch {
            close(fd)
            throw error
        }
    }

    /// "plugins.d/ holds: a.so, b.so" — the most useful thing to print next to "no such file".
    package static func describeFolder(_ folder: String) -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let plugins = names.filter { $0.hasSuffix(".so") }.sorted()
        if plugins.isEmpty { return "\(folder) holds no .so files" }
        return "\(folder) holds: \(plugins.joined(separator: ", "))"
    }

    private static func checkOwnership(
        _ st: stat, what: String, fail: (String) -> PluginLoadError
    ) throws(PluginLoadError) {
        let uid = getuid()
        if st.st_uid != 0 && st.st_uid != uid {
            throw fail(
                "\(what) is owned by uid \(st.st_uid); it must be owned by root or by the gateway's user (uid \(uid))")
        }
        if st.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            let mode = String(st.st_mode & 0o777, radix: 8)
            throw fail("\(what) is group- or world-writable (mode \(mode)); run: chmod go-w on it")
        }
    }

    private static func checkFolder(of path: String, fail: (String) -> PluginLoadError) throws(PluginLoadError) {
        let folder = (path as NSString).deletingLastPathComponent
        var st = stat()
        guard stat(folder.isEmpty ? "." : folder, &st) == 0 else {
            throw fail("cannot read its folder: \(String(cString: strerror(errno)))")
        }
        // A world-writable folder lets anyone swap the file between restarts (sticky /tmp included).
        if st.st_mode & S_IWOTH != 0 {
            throw fail(
                "its folder \(folder) is world-writable; plugins must live in a folder only trusted users can write")
        }
    }

    private static func readAll(fd: Int32, size: Int, fail: (String) -> PluginLoadError) throws(PluginLoadError)
        -> [UInt8]
    {
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw fail("cannot read: \(n < 0 ? String(cString: strerror(errno)) : "file shrank")") }
            done += n
        }
        return bytes
    }

    private static func checkELF(_ b: [UInt8], fail: (String) -> PluginLoadError) throws(PluginLoadError) {
        guard b.count >= 64, b[0] == 0x7F, b[1] == 0x45, b[2] == 0x4C, b[3] == 0x46 else {
            throw fail("is not an ELF shared object (no ELF header); build it with -shared -fPIC")
        }
        guard b[4] == 2 else { throw fail("is a 32-bit ELF file; the gateway is 64-bit") }
        guard b[5] == 1 else { throw fail("is a big-endian ELF file; the gateway is little-endian") }
        let type = UInt16(b[16]) | UInt16(b[17]) << 8
        guard type == 3 else {
            let kind = type == 2 ? "an executable" : type == 1 ? "an object file (.o), not linked" : "ELF type \(type)"
            throw fail("is \(kind), not a shared object; build it with -shared -fPIC")
        }
        let machine = UInt16(b[18]) | UInt16(b[19]) << 8
        if hostMachine != 0 && machine != hostMachine {
            let theirs = machineNames[machine] ?? "machine \(machine)"
            let ours = machineNames[hostMachine] ?? "machine \(hostMachine)"
            throw fail("is built for \(theirs), the gateway runs on \(ours)")
        }
    }
}
