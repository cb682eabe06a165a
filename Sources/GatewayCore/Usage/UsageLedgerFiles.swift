import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Makes the ledger's folder (0700) and file (0600) before SQLite opens it, with exactly those modes
/// whatever the umask: SQLite would create the file 0644 & ~umask. SQLite gives the `-wal` and `-shm`
/// files it creates later the database file's own mode, so they are 0600 too.
///
/// A folder that already exists is left as the operator made it (it may be shared); a ledger file (or
/// `-wal` / `-shm`) that already exists readable by others is tightened to 0600. A symbolic link where
/// the file should be is refused.
///
/// Usage:
/// ```swift
/// try UsageLedgerFiles.prepareFolder("/var/lib/gatewayhost")
/// try UsageLedgerFiles.prepareFile("/var/lib/gatewayhost/usage.sqlite3")
/// ```
enum UsageLedgerFiles {
    static let folderMode: mode_t = 0o700
    static let fileMode: mode_t = 0o600

    /// Creates `folder` and any missing parents, each 0700.
    static func prepareFolder(_ folder: String) throws(UsageLedgerError) {
        guard !folder.isEmpty else { throw UsageLedgerError(path: folder, message: "the data folder is empty") }
        var info = stat()
        if stat(folder, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw UsageLedgerError(path: folder, message: "cannot use the data folder: it is not a folder")
            }
            return
        }
        let absolute = folder.hasPrefix("/")
        var prefix = absolute ? "" : "."
        for component in folder.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, folderMode) == 0 {
                // The umask may have narrowed the mode (never widened it): set exactly 0700.
                _ = chmod(prefix, folderMode)
                continue
            }
            let code = errno
            if code == EEXIST, stat(prefix, &info) == 0 {
                if info.st_mode & S_IFMT == S_IFDIR { continue }
                throw UsageLedgerError(path: prefix, message: "cannot create the data folder: this is not a folder")
            }
            throw UsageLedgerError(path: prefix, message: "cannot create the data folder: \(describe(code))")
        }
    }

    /// Creates `path` empty with mode 0600 (an empty file is a valid empty SQLite database), or checks
    /// the existing one.
    static func prepareFile(_ path: String) throws(UsageLedgerError) {
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, fileMode)
        if fd >= 0 {
            defer { close(fd) }
            guard fchmod(fd, fileMode) == 0 else {
                throw UsageLedgerError(path: path, message: "cannot set mode 0600: \(describe(errno))")
            }
            return
        }
        let code = errno
        guard code == EEXIST else { throw UsageLedgerError(path: path, message: "cannot create: \(describe(code))") }
        for file in [path, path + "-wal", path + "-shm"] {
            var info = stat()
            guard lstat(file, &info) == 0 else { continue }  // -wal / -shm absent: SQLite makes them
            switch info.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFLNK: throw UsageLedgerError(path: file, message: "refusing a symbolic link")
            default: throw UsageLedgerError(path: file, message: "not a regular file")
            }
            if info.st_mode & 0o077 != 0, chmod(file, fileMode) != 0 {
                throw UsageLedgerError(
                    path: file, message: "readable by others and cannot be set to 0600: \(describe(errno))")
            }
        }
    }

    static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}
