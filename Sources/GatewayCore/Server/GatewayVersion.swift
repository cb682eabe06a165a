/// The gateway's version: shown by `--version` and sent upstream in `User-Agent`.
package enum GatewayVersion {
    package static let current = "0.1.0"
}
