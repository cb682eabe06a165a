import GatewayWire

/// AWS credentials for SigV4 signing, from the standard environment variables (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, optional `AWS_SESSION_TOKEN`) when the config is loaded. The secret parts are
/// `Secret`s: never printed, never in an error.
package struct AWSCredentials: Sendable {
    package var accessKeyID: String
    package var secretAccessKey: Secret
    package var sessionToken: Secret?

    /// The credentials in `environment`, or why they cannot be used (names only, never values).
    package static func fromEnvironment(_ environment: (String) -> String?) -> Result<AWSCredentials, Missing> {
        guard let id = environment("AWS_ACCESS_KEY_ID"), !id.isEmpty else {
            return .failure(Missing(reason: "environment variable AWS_ACCESS_KEY_ID is not set"))
        }
        guard let secret = environment("AWS_SECRET_ACCESS_KEY"), !secret.isEmpty else {
            return .failure(Missing(reason: "environment variable AWS_SECRET_ACCESS_KEY is not set"))
        }
        let token = environment("AWS_SESSION_TOKEN").flatMap { $0.isEmpty ? nil : Secret($0) }
        return .success(AWSCredentials(accessKeyID: id, secretAccessKey: Secret(secret), sessionToken: token))
    }

    package struct Missing: Error, Sendable {
        package var reason: String
    }
}
