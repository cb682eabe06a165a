import Foundation
import Testing

@testable import GatewayCore

/// SigV4 signatures checked against botocore's `SigV4Auth` (botocore 1.43.11), which generated every
/// expected value below with the same credentials, region, service and time:
///
/// ```python
/// botocore.auth.get_current_datetime = lambda: datetime.datetime(2024, 6, 20, 12, 34, 56)
/// req = AWSRequest(method=method, url=url, data=body, headers=headers)
/// req.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
/// SigV4Auth(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token),
///           "bedrock", "us-east-1").add_auth(req)
/// ```
@Suite struct SigV4Tests {
    private static let date = Date(timeIntervalSince1970: 1_718_886_896)  // 2024-06-20T12:34:56Z
    private static let body = Array(#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#.utf8)
    private static let bodyHash = "c3335e07d6e89650bf94cb98664be69f8774dbc3198df221f113db0a59ea14f0"

    private func signer(token: String? = nil) -> SigV4Signer {
        SigV4Signer(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            sessionToken: token, region: "us-east-1", service: "bedrock")
    }

    private func names(_ headers: [(name: String, value: String)]) -> [String] { headers.map(\.name) }
    private func value(_ headers: [(name: String, value: String)], _ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }

    @Test func converseWithoutSessionToken() {
        let model = SigV4Signer.uriEncode("anthropic.claude-3-5-sonnet-20240620-v1:0")
        #expect(model == "anthropic.claude-3-5-sonnet-20240620-v1%3A0")
        let headers = signer().sign(
            method: "POST", url: "https://bedrock-runtime.us-east-1.amazonaws.com/model/\(model)/converse",
            headers: [("Content-Type", "application/json"), ("Accept", "application/json")], body: Self.body,
            date: Self.date)
        #expect(names(headers) == ["authorization", "x-amz-date", "x-amz-content-sha256"])
        #expect(
            value(headers, "authorization")
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240620/us-east-1/bedrock/aws4_request, "
                + "SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date, "
                + "Signature=01847797579c7f9f3e469a6fb82b0ea05a0bbb7658cb7ed8ea988e8f89c851c7")
        #expect(value(headers, "x-amz-date") == "20240620T123456Z")
        #expect(value(headers, "x-amz-content-sha256") == Self.bodyHash)
    }

    /// A session token is signed too; a non-default port is part of the signed host.
    @Test func converseStreamWithSessionTokenOnAnotherPort() {
        let headers = signer(token: "FwoGZXIvYXdzEXAMPLETOKEN+/=").sign(
            method: "POST",
            url: "http://127.0.0.1:8080/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream",
            headers: [("Content-Type", "application/json"), ("Accept", "application/vnd.amazon.eventstream")],
            body: Self.body, date: Self.date)
        #expect(names(headers) == ["authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"])
        #expect(
            value(headers, "authorization")
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240620/us-east-1/bedrock/aws4_request, "
                + "SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
                + "Signature=5ae9632a093cbadeb5f8a5dca3f4bb3081f04eebcc57eb82722e6d37ddb0e658")
        #expect(value(headers, "x-amz-security-token") == "FwoGZXIvYXdzEXAMPLETOKEN+/=")
    }

    /// An ARN model id (`:` and `/` in one path segment), a query string to sort, an empty body, a header
    /// value with whitespace to collapse.
    @Test func arnModelQueryStringAndEmptyBody() {
        let model = SigV4Signer.uriEncode(
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0")
        #expect(
            model
                == "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2F"
                + "us.anthropic.claude-3-5-sonnet-20240620-v1%3A0")
        let headers = signer().sign(
            method: "GET",
            url: "https://bedrock-runtime.us-east-1.amazonaws.com/model/\(model)/converse"
                + "?maxResults=10&a%20b=c%2Fd&Zeta=1&alpha=",
            headers: [("X-Custom", "  two   spaces  ")], body: [], date: Self.date)
        #expect(
            value(headers, "authorization")
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240620/us-east-1/bedrock/aws4_request, "
                + "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-custom, "
                + "Signature=bbff59765fec33aaa8301f2acc2556149ccc1844185796dcf336881eab11cfab")
        #expect(
            value(headers, "x-amz-content-sha256") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
    }

    /// An empty session token (an unset variable exported as "") is no token.
    @Test func emptySessionTokenIsNone() {
        let headers = signer(token: "").sign(
            method: "POST", url: "https://example.com/", headers: [], body: [], date: Self.date)
        #expect(!names(headers).contains("x-amz-security-token"))
    }

    /// Checked against Python's `datetime.fromtimestamp(t, timezone.utc)`: epoch, leap days, the second
    /// before the epoch, a century that is not a leap year.
    @Test func timestampsAreUTC() {
        let cases: [(Double, String)] = [
            (0, "19700101T000000Z"), (951_782_400, "20000229T000000Z"), (4_107_542_399, "21000228T235959Z"),
            (-1, "19691231T235959Z"), (1_709_208_000, "20240229T120000Z"), (1_718_886_896.9, "20240620T123456Z"),
        ]
        for (seconds, expected) in cases {
            #expect(SigV4Signer.timestamp(Date(timeIntervalSince1970: seconds)) == expected)
        }
    }

    @Test func uriEncodeKeepsOnlyUnreservedBytes() {
        #expect(SigV4Signer.uriEncode("aZ09-_.~ :/é") == "aZ09-_.~%20%3A%2F%C3%A9")
        #expect(SigV4Signer.uriEncode("/a b/c", keepSlash: true) == "/a%20b/c")
    }
}
