import Foundation

/// Where a Redis server is and how to log in: parsed from `state.url`,
/// `redis://[[username]:password@]host[:port][/db]`.
///
/// The password is percent-decoded (`%40` for `@`), sent with `AUTH` after connecting, and never appears in
/// `description` or in any error this type throws (`redacted` prints `***` in its place). A `db` is chosen
/// with `SELECT`. Only `redis://` is accepted: `rediss://` (TLS) and unix sockets are refused with a clear
/// error, since the Debian hiredis 0.14 the gateway links has no TLS.
///
/// Usage:
/// ```swift
/// let endpoint = try RedisEndpoint(url: "redis://:s3cret@127.0.0.1:6379/2")
/// // endpoint.host == "127.0.0.1", endpoint.port == 6379, endpoint.database == 2
/// print(endpoint)  // redis://:***@127.0.0.1:6379/2
/// ```
package struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    package var host: String
    package var port: Int
    /// `AUTH username password` when set (Redis 6 ACL users), `AUTH password` otherwise.
    package var username: String?
    package var password: String?
    package var database: Int

    package static let defaultPort = 6379

    package init(
        host: String, port: Int = RedisEndpoint.defaultPort, username: String? = nil, password: String? = nil,
        database: Int = 0
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `url`; the errors name the URL with its password replaced by `***`.
    package init(url: String) throws(LimitStateError) {
        let shown = Self.redact(url)
        func refuse(_ why: String) -> LimitStateError {
            LimitStateError("state.url \"\(shown)\": \(why)")
        }
        guard let schemeEnd = url.range(of: "://") else {
            throw refuse("not a URL; expected redis://[:password@]host:port[/db]")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "redis" else {
            if scheme == "rediss" {
                throw refuse("TLS (rediss://) is not supported by the hiredis the gateway links; use redis://")
            }
            throw refuse("unsupported scheme \"\(scheme)\"; expected redis://[:password@]host:port[/db]")
        }
        var rest = Substring(url[schemeEnd.upperBound...])
        if rest.contains("?") || rest.contains("#") {
            throw refuse("query and fragment are not supported; expected redis://[:password@]host:port[/db]")
        }

        var username: String?
        var password: String?
        // The last '@' ends the user info, so an unencoded '@' inside the password still parses.
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = String(userInfo[..<colon])
                let pass = String(userInfo[userInfo.index(after: colon)...])
                guard let decodedUser = user.removingPercentEncoding,
                    let decodedPass = pass.removingPercentEncoding
                else { throw refuse("the user info is not valid percent-encoding") }
                username = decodedUser.isEmpty ? nil : decodedUser
                password = decodedPass.isEmpty ? nil : decodedPass
            } else {
                // `redis://password@host` is a common mistake for `redis://:password@host`: a lone user
                // info is taken as the password, like redis-cli and most clients do.
                guard let decoded = String(userInfo).removingPercentEncoding else {
                    throw refuse("the user info is not valid percent-encoding")
                }
                password = decoded.isEmpty ? nil : decoded
            }
        }

        var hostPort = rest
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            hostPort = rest[..<slash]
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty {
                guard let db = Int(path), db >= 0 else {
                    throw refuse("the database \"\(path)\" is not a number ≥ 0")
                }
                database = db
            }
        }

        var host: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {  // [IPv6]:port
            guard let close = hostPort.firstIndex(of: "]") else { throw refuse("unterminated [IPv6] host") }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw refuse("expected :port after the [IPv6] host") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        guard !host.isEmpty else { throw refuse("no host") }
        var port = Self.defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw refuse("the port \"\(portText)\" is not a number in 1...65535")
            }
            port = value
        }
        self.init(host: String(host), port: port, username: username, password: password, database: database)
    }

    /// The URL with the password shown as `***`.
    package var description: String {
        var userInfo = ""
        if let username { userInfo = username }
        if password != nil { userInfo += ":***" }
        if !userInfo.isEmpty { userInfo += "@" }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "redis://\(userInfo)\(shownHost):\(port)/\(database)"
    }

    /// `host:port`, for messages.
    package var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// `text` with every occurrence of the password replaced by `***` (for server messages that might echo it).
    package func scrub(_ text: String) -> String {
        guard let password, !password.isEmpty else { return text }
        return text.replacingOccurrences(of: password, with: "***")
    }

    /// A URL as typed, with whatever sits between `://` and the last `@` reduced to `***` (or `user:***`).
    static func redact(_ url: String) -> String {
        let start = url.range(of: "://")?.upperBound ?? url.startIndex
        guard let at = url[start...].lastIndex(of: "@") else { return url }
        let userInfo = url[start..<at]
        let shownUser: Substring
        if let colon = userInfo.firstIndex(of: ":") { shownUser = userInfo[..<colon] } else { shownUser = "" }
        return String(url[..<start]) + shownUser + ":***" + String(url[at...])
    }
}
