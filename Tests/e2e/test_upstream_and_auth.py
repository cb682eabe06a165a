"""What the upstream receives (URLs, keys, headers), request ids, the target header, and client keys."""

import json
import re

import httpx
import openai
import pytest

from e2e_support import (
    GATEWAY_CLIENT_KEY,
    MOCK_AZURE_KEY,
    MOCK_OPENAI_KEY,
    assert_openai_error,
    make_client,
    request_id,
)

GENERATED_ID = re.compile(r"^req_[0-9a-f]{24}$")


def test_azure_deployment_url_version_and_api_key(client, mock):
    rid = request_id("azure")
    completion = client.chat.completions.create(
        model="my-deployment", messages=[{"role": "user", "content": "hi azure"}],
        extra_headers={"x-request-id": rid})
    assert completion.choices[0].message.content == "echo: hi azure"
    seen = mock.one_request(rid)
    assert seen["path"] == "/openai/deployments/my-deployment/chat/completions"
    assert seen["query"] == "api-version=2024-10-21"
    assert seen["headers"].get("api-key") == MOCK_AZURE_KEY
    assert "authorization" not in seen["headers"], "Azure must get api-key only, never the client's bearer"


def test_azure_stream(client, mock):
    rid = request_id("azure-stream")
    stream = client.chat.completions.create(
        model="my-deployment", messages=[{"role": "user", "content": "azure streamed"}], stream=True,
        extra_headers={"x-request-id": rid})
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "echo: azure streamed"
    assert mock.one_request(rid)["query"] == "api-version=2024-10-21"


def test_openai_target_gets_its_own_bearer_key(client, mock):
    rid = request_id("bearer")
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "key check"}], extra_headers={"x-request-id": rid})
    headers = mock.one_request(rid)["headers"]
    assert headers.get("authorization") == f"Bearer {MOCK_OPENAI_KEY}"
    assert "sk-client-not-checked" not in json.dumps(headers), "the client's key must not reach the upstream"


def test_request_id_is_propagated(client, mock):
    rid = request_id("propagate")
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "rid"}], extra_headers={"x-request-id": rid})
    assert raw.headers.get("x-request-id") == rid
    assert mock.one_request(rid)["headers"]["x-request-id"] == rid
    assert raw.parse().choices[0].message.content == "echo: rid"


def test_request_id_is_generated_when_absent(gateway, mock):
    word = request_id("no-rid")
    response = gateway.chat(word, model="gpt-4o-mini")
    assert response.status_code == 200, response.text
    rid = response.headers.get("x-request-id", "")
    assert GENERATED_ID.match(rid), rid
    seen = mock.one_request(rid)
    assert word in seen["body"]


def test_unsafe_request_id_is_replaced(gateway):
    response = gateway.http.post(
        "/v1/chat/completions", headers={"x-request-id": "bad id <script>"},
        json={"model": "echo-model", "messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == 200
    assert GENERATED_ID.match(response.headers["x-request-id"]), response.headers["x-request-id"]


def test_request_id_on_errors_too(gateway):
    rid = request_id("err-rid")
    response = gateway.http.post("/v1/chat/completions", headers={"x-request-id": rid}, content=b"{")
    assert response.status_code == 400
    assert response.headers.get("x-request-id") == rid


@pytest.mark.parametrize("model, target", [
    ("gpt-4o-mini", "mock-openai"), ("my-deployment", "mock-azure"), ("echo-model", "echo"),
    ("drip-idle-1s", "drip-idle-1s"),
])
def test_target_header_names_the_target(gateway, model, target):
    # drip-idle-1s is asked by id and not streamed: the mock answers mock-drip at once when not streaming.
    response = gateway.chat("which target", model=model)
    assert response.status_code == 200, response.text
    assert response.headers.get("x-gatewayhost-target") == target


def test_target_header_on_upstream_errors(gateway):
    response = gateway.chat("x", model="mock-500")
    assert response.status_code == 502
    assert response.headers.get("x-gatewayhost-target") == "errors-500"


# ------------------------------------------------------------------------------------------- client keys

def test_auth_missing_key_is_401_and_upstream_untouched(auth_gateway, mock):
    rid = request_id("no-key")
    response = auth_gateway.http.post(
        "/v1/chat/completions", headers={"x-request-id": rid},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]})
    assert_openai_error(response, 401, code="invalid_api_key")
    assert mock.requests_with_id(rid) == []


def test_auth_invalid_key_raises_authentication_error(auth_gateway, mock):
    rid = request_id("bad-key")
    with make_client(auth_gateway, api_key="gw-wrong-key") as bad:
        with pytest.raises(openai.AuthenticationError) as caught:
            bad.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], extra_headers={"x-request-id": rid})
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert mock.requests_with_id(rid) == []


@pytest.mark.parametrize("authorization", [
    f"Basic {GATEWAY_CLIENT_KEY}", GATEWAY_CLIENT_KEY, f"Bearer {GATEWAY_CLIENT_KEY}x",
    f"Bearer {GATEWAY_CLIENT_KEY[:-1]}", "Bearer", "",
])
def test_auth_malformed_authorization_is_401(auth_gateway, mock, authorization):
    rid = request_id("malformed-auth")
    response = auth_gateway.http.post(
        "/v1/chat/completions", headers={"authorization": authorization, "x-request-id": rid},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]})
    assert_openai_error(response, 401, code="invalid_api_key")
    assert mock.requests_with_id(rid) == []


def test_auth_stream_request_without_key_is_401(auth_gateway, mock):
    rid = request_id("no-key-stream")
    with make_client(auth_gateway, api_key="nope") as bad:
        with pytest.raises(openai.AuthenticationError):
            bad.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], stream=True,
                extra_headers={"x-request-id": rid})
    assert mock.requests_with_id(rid) == []


def test_auth_valid_key_is_not_forwarded_upstream(auth_gateway, mock):
    rid = request_id("good-key")
    with make_client(auth_gateway, api_key=GATEWAY_CLIENT_KEY) as good:
        completion = good.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "authorised"}],
            extra_headers={"x-request-id": rid})
        assert completion.choices[0].message.content == "echo: authorised"
        response = good.responses.create(model="gpt-4o-mini", input="authorised too")
        assert response.output_text == "echo: authorised too"
    seen = mock.one_request(rid)
    assert seen["headers"].get("authorization") == f"Bearer {MOCK_OPENAI_KEY}"
    assert GATEWAY_CLIENT_KEY not in json.dumps(seen), "the gateway key must never reach the upstream"


def test_auth_bearer_scheme_is_case_insensitive(auth_gateway):
    response = auth_gateway.http.post(
        "/v1/chat/completions", headers={"authorization": f"bearer {GATEWAY_CLIENT_KEY}"},
        json={"model": "echo-model", "messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == 200, response.text


def test_auth_health_endpoints_need_no_key(auth_gateway):
    assert auth_gateway.http.get("/healthz").status_code == 200
    assert auth_gateway.http.get("/readyz").status_code == 200


def test_auth_gateway_still_serves_after_rejections(auth_gateway):
    for _ in range(5):
        assert httpx.post(f"{auth_gateway.base}/v1/chat/completions", content=b"{}", timeout=5).status_code == 401
    response = auth_gateway.http.post(
        "/v1/chat/completions", headers={"authorization": f"Bearer {GATEWAY_CLIENT_KEY}"},
        json={"model": "echo-model", "messages": [{"role": "user", "content": "after"}]})
    assert response.status_code == 200
