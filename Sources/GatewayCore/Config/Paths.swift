import GatewayWire

/// Lexical path handling for config-relative paths. Symlinks are deliberately not resolved: the path the
/// operator wrote is the one shown in messages.
package enum Paths {
    /// `path` if absolute, else `path` under `base`; `.` and `..` segments removed.
    package static func resolve(_ path: String, against base: String) -> String {
        normalize(path.hasPrefix("/") ? path : base + "/" + path)
    }

    package static func normalize(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/") {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        return "/" + segments.joined(separator: "/")
    }

    /// The folder holding `file` ("/" for a file at the root).
    package static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }
}
