import GatewayWire

/// How the host runs one policy of the chain: which plugin, how to treat its failures, and its own config.
package struct PolicySettings: Sendable, Equatable {
    package var name: String
    /// Absolute path of the plugin's shared object (default `<plugins_dir>/<name>.so`).
    package var pluginFile: String
    /// Expected SHA-256 of the plugin file, 64 lowercase hex characters; nil means not pinned.
    package var sha256: String?
    package var onError: FailMode
    /// Budget for one hook call, in milliseconds (1...60000, default 200).
    package var timeoutMs: Int
    /// The policy's own settings (everything under `policy.<name>` except `plugin`) as canonical JSON; `{}` if none.
    package var configJSON: String
    /// Where the policy is configured (its `policy.<name>` key, or its chain entry when it has no settings), so
    /// later failures such as a plugin rejecting its config can point into the file.
    package var line: Int
    package var column: Int
}

/// What a failing plugin (crash, timeout, error result) means for the request.
package enum FailMode: String, Sendable, Equatable, CaseIterable {
    /// Refuse the request: the safe default for a security policy.
    case failClosed = "fail_closed"
    /// Let the request through as if the policy had allowed it.
    case failOpen = "fail_open"
}
