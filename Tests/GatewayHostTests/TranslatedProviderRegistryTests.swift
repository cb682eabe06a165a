import Testing

@testable import GatewayCore
@testable import GatewayWire

/// The registry's translated providers: defaults, what they serve, and what is refused at load.
@Suite struct TranslatedProviderRegistryTests {
    private func config(_ provider: String, model: String = "m", _ change: (inout TargetConfig) -> Void = { _ in })
        -> TargetConfig
    {
        var config = ConfigFixture.targetConfig(id: "t", model: model)
        config.provider = provider
        config.baseURL = nil
        change(&config)
        return config
    }

    private func error(_ config: TargetConfig) -> String? {
        do throws(ProviderRegistry.ResolveError) {
            _ = try ProviderRegistry.resolve(config, file: "test.yaml")
            return nil
        } catch {
            return error.description
        }
    }

    @Test func anthropicAndGeminiHaveTheirOwnDefaultsAndServeChat() throws {
        let claude = try ProviderRegistry.resolve(config("anthropic") { $0.maxTokens = 512 }, file: "test.yaml")
        #expect(claude.baseURL == "https://api.anthropic.com")
        #expect(claude.apiKeyHeader == "x-api-key")
        #expect(claude.defaultMaxTokens == 512)
        #expect(claude.serves.includes(.chatCompletions) && !claude.serves.includes(.responses))
        #expect(!claude.serves.includes(.embeddings))
        let gemini = try ProviderRegistry.resolve(config("google"), file: "test.yaml")
        #expect(gemini.provider == "gemini")
        #expect(gemini.baseURL == "https://generativelanguage.googleapis.com")
        #expect(gemini.apiKeyHeader == "x-goog-api-key")
        #expect(gemini.serves.includes(.embeddings) && !gemini.serves.includes(.responses))
    }

    @Test func aResponsesShorthandToATranslatedProviderIsRefused() {
        var shorthand = config("anthropic:responses:claude")
        shorthand.model = nil
        #expect(error(shorthand)?.contains("cannot serve 'responses'") == true)
    }

    @Test func bedrockNeedsARegionAndRefusesKeysAndProbes() {
        #expect(error(config("bedrock"))?.contains("needs region") == true)
        let withKey = config("bedrock") {
            $0.region = "us-east-1"
            $0.secretEnvName = "SOME_KEY"
        }
        #expect(error(withKey)?.contains("remove secret_key_ref") == true)
        let withProbe = config("bedrock") {
            $0.region = "us-east-1"
            $0.healthProbe = HealthProbeConfig(path: "/models", intervalSeconds: 30, timeoutSeconds: 5)
        }
        #expect(error(withProbe)?.contains("health_probe is not supported") == true)
    }

    @Test func aBedrockTargetDefaultsItsURLFromTheRegion() throws {
        let target = try ProviderRegistry.resolve(config("aws-bedrock") { $0.region = "eu-west-3" }, file: "test.yaml")
        #expect(target.provider == "bedrock")
        #expect(target.baseURL == "https://bedrock-runtime.eu-west-3.amazonaws.com")
        #expect(target.authHeader == nil, "Bedrock requests are signed, never sent a bearer key")
        #expect(
            BedrockAdapter().endpoint(for: target, stream: true)
                == "https://bedrock-runtime.eu-west-3.amazonaws.com/model/m/converse-stream")
    }
}

/// Keys that would be parsed and not acted on are refused.
@Suite struct UsageConfigRefusalTests {
    @Test func maxTokensOnATargetThatNeedsNoneIsRefused() {
        var config = ConfigFixture.targetConfig(id: "t")
        config.maxTokens = 100
        do throws(ProviderRegistry.ResolveError) {
            _ = try ProviderRegistry.resolve(config, file: "test.yaml")
            Issue.record("max_tokens accepted on an OpenAI-compatible target")
        } catch {
            #expect(error.description.contains("max_tokens"))
        }
    }

    @Test func redisOnlyStateKeysAreRefusedWithTheMemoryBackend() {
        let found = ConfigFixture.errors(
            ConfigFixture.minimal + "\nstate: {backend: memory, key_prefix: \"x:\", on_state_error: fail_open}\n")
        #expect(found.count == 2, "\(found)")
        #expect(found.allSatisfy { $0.contains("only used with backend: redis") }, "\(found)")
    }
}
