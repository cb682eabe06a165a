import GatewayWire

/// Builds the dotted key paths used in messages: `providers.targets[0].timeout_seconds`. The root is "".
package enum ConfigKeyPath {
    package static func child(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    package static func index(_ path: String, _ index: Int) -> String {
        "\(path)[\(index)]"
    }
}
