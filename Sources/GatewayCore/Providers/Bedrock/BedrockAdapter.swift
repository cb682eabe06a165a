import CZlib
import Foundation
import GatewayWire

/// AWS Bedrock's Converse API (`POST {base_url}/model/{modelId}/converse`, `/converse-stream` for streams,
/// AWS's binary event stream back), SigV4-signed with the environment's AWS credentials, translated from
/// and to chat completions by `BedrockTranslator`. `region` names the AWS region (and is the target's
/// declared data region); `base_url` defaults to `https://bedrock-runtime.{region}.amazonaws.com`.
package struct BedrockAdapter: TranslatedProviderAdapter {
    package let name = "bedrock"
    package let translator: any ChatTranslator = BedrockTranslator(crc32: Self.crc32)

    /// zlib's CRC-32 (IEEE), which the event-stream frames carry.
    package static let crc32: @Sendable ([UInt8]) -> UInt32 = { bytes in
        bytes.withUnsafeBufferPointer { buffer in
            UInt32(CZlib.crc32(0, buffer.baseAddress, uInt(buffer.count)))
        }
    }

    package func defaults(for provider: String) -> ProviderDefaults {
        // The base URL depends on the region: the registry fills it in. No key header: requests are signed.
        ProviderDefaults(baseURL: nil, apiKeyHeader: "authorization", apiKeyPrefix: "", keyOptional: true)
    }

    package func endpoint(for target: Target, stream: Bool) -> String {
        target.url("/model/\(SigV4Signer.uriEncode(target.model))/\(stream ? "converse-stream" : "converse")")
    }

    /// Built here rather than by the shared builder: no bearer key, never the client's `Authorization`,
    /// and a fresh signature on every attempt (AWS refuses a signature more than 5 minutes old).
    package func upstreamRequest(for target: Target, api: WireAPI, body: [UInt8], context: UpstreamContext)
        throws(GatewayError) -> UpstreamRequest
    {
        guard api == .chatCompletions else {
            throw GatewayError.validation(
                "Provider 'bedrock' (target '\(target.id)') is reached through /v1/chat/completions only.", param: nil)
        }
        guard let credentials = target.awsCredentials, let region = target.dataPolicy.region else {
            throw GatewayError.noTarget("target '\(target.id)' has no AWS credentials or region")
        }
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: body)
        } catch {
            throw GatewayError.invalidJSON(error.message)
        }
        let translated: [UInt8]
        do throws(TranslationError) {
            translated = try translator.request(
                document, model: target.model, settings: TranslationSettings(defaultMaxTokens: target.defaultMaxTokens))
        } catch {
            throw GatewayError.validation(
                "This request cannot be sent to provider 'bedrock': \(error.message)", param: error.param)
        }
        let url = endpoint(for: target, stream: context.stream)
        let signed: [(name: String, value: String)] = [
            ("content-type", "application/json"),
            ("accept", context.stream ? "application/vnd.amazon.eventstream" : "application/json"),
        ]
        let signer = SigV4Signer(
            accessKeyID: credentials.accessKeyID, secretAccessKey: credentials.secretAccessKey.reveal,
            sessionToken: credentials.sessionToken?.reveal, region: region, service: "bedrock")
        var headers = signed + signer.sign(method: "POST", url: url, headers: signed, body: translated, date: Date())
        headers += [("user-agent", "gatewayhost/\(GatewayVersion.current)"), ("x-request-id", context.requestID)]
        headers += context.traceHeaders
        var request = UpstreamRequest(url: url, headers: headers, body: translated)
        request.totalTimeout = context.stream ? nil : target.timeoutSeconds
        request.idleTimeout = context.stream ? target.streamTimeoutSeconds : nil
        return request
    }
}
