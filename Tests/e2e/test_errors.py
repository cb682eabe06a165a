"""Every error status the gateway answers, each in OpenAI's error shape, and the SDK exception it maps to."""

import json
import time

import openai
import pytest

from e2e_support import assert_openai_error, request_id

USER = [{"role": "user", "content": "x"}]


def test_malformed_json_is_400(gateway):
    response = gateway.http.post(
        "/v1/chat/completions", content=b'{"model": "echo-model", "messages": [',
        headers={"content-type": "application/json"})
    error = assert_openai_error(response, 400, type_="invalid_request_error", code="invalid_json")
    assert "byte" in error["message"]


def test_oversized_body_is_413(gateway, mock):
    rid = request_id("too-big")
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "a" * 70_000}]})
    response = gateway.http.post("/v1/chat/completions", content=body, headers={"x-request-id": rid})
    error = assert_openai_error(response, 413, type_="invalid_request_error", code="request_too_large")
    assert "65536" in error["message"]
    assert mock.requests_with_id(rid) == []


def test_unknown_model_is_404(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="no-such-model", messages=USER)
    assert caught.value.status_code == 404
    assert caught.value.code == "model_not_found"
    assert caught.value.param == "model"
    assert caught.value.body["type"] == "invalid_request_error"


def test_unknown_model_on_responses_is_404(client):
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="no-such-model", input="x")


@pytest.mark.parametrize("path", ["/v1/unknown", "/", "/v1/chat/completions/extra", "/v2/chat/completions"])
def test_unknown_route_is_404(gateway, path):
    response = gateway.http.post(path, json={"model": "echo-model", "messages": USER})
    assert_openai_error(response, 404, type_="invalid_request_error", code="unknown_url")


@pytest.mark.parametrize("method, path, allowed", [
    ("GET", "/v1/chat/completions", "POST"), ("PUT", "/v1/chat/completions", "POST"),
    ("DELETE", "/v1/responses", "POST"), ("POST", "/v1/models", "GET"), ("POST", "/healthz", "GET"),
])
def test_wrong_method_is_405(gateway, method, path, allowed):
    response = gateway.http.request(method, path)
    assert_openai_error(response, 405, type_="invalid_request_error", code="method_not_allowed")
    assert response.headers.get("allow") == allowed


def test_upstream_4xx_body_is_relayed_unchanged(client, mock):
    rid = request_id("u400")
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="mock-400", messages=USER, extra_headers={"x-request-id": rid})
    assert caught.value.status_code == 400
    assert caught.value.response.json() == {
        "error": {"message": "bad thing", "type": "invalid_request_error", "param": "messages", "code": "mock_code"}}
    assert len(mock.requests_with_id(rid)) == 1


def test_upstream_429_reaches_the_client(client):
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="mock-429", messages=USER)
    assert caught.value.status_code == 429
    assert caught.value.code == "rate_limit_exceeded"


def test_upstream_429_keeps_retry_after(gateway):
    response = gateway.chat("x", model="mock-429")
    assert response.status_code == 429
    assert response.headers.get("retry-after") == "1"


def test_upstream_500_becomes_502(client):
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="mock-500", messages=USER)
    assert caught.value.status_code == 502
    assert caught.value.type == "upstream_error" and caught.value.code == "upstream_error"
    # The upstream's own error text stays private.
    assert "The server had an error" not in caught.value.response.text


def test_upstream_500_on_stream_request_becomes_502(gateway):
    response = gateway.chat("x", model="mock-500", stream=True)
    assert_openai_error(response, 502, type_="upstream_error", code="upstream_error")


def test_unreachable_upstream_is_502(gateway):
    started = time.monotonic()
    response = gateway.chat("x", model="dead-model")
    assert_openai_error(response, 502, type_="upstream_error", code="upstream_unreachable")
    assert time.monotonic() - started < 5


def test_unreachable_upstream_stream_is_502(gateway):
    response = gateway.chat("x", model="dead-model", stream=True)
    assert_openai_error(response, 502, type_="upstream_error", code="upstream_unreachable")


def test_upstream_timeout_is_504(gateway, mock):
    rid = request_id("timeout")
    started = time.monotonic()
    response = gateway.http.post(
        "/v1/chat/completions", headers={"x-request-id": rid},
        json={"model": "hang-1s", "messages": USER})
    elapsed = time.monotonic() - started
    assert_openai_error(response, 504, type_="upstream_error", code="upstream_timeout")
    assert 0.9 <= elapsed < 4, f"timeout_seconds: 1 answered after {elapsed:.2f} s"
    # A timeout is retried once on the same target (providers.max_retries defaults to 1).
    sent = mock.requests_with_id(rid)
    assert len(sent) == 2 and all(json.loads(r["body"])["model"] == "mock-hang" for r in sent)


def test_gateway_request_timeout_caps_a_slow_target(capped_gateway, mock):
    # Target "slow" answers after 3 s under the default timeout_seconds (60); request_timeout_seconds: 1 wins.
    rid = request_id("captimeout")
    started = time.monotonic()
    response = capped_gateway.http.post(
        "/v1/chat/completions", headers={"x-request-id": rid},
        json={"model": "slow", "messages": USER})
    elapsed = time.monotonic() - started
    assert_openai_error(response, 504, type_="upstream_error", code="upstream_timeout")
    assert 0.9 <= elapsed < 4, f"request_timeout_seconds: 1 answered after {elapsed:.2f} s"
    capped_gateway.assert_healthy()


def test_sdk_sees_504_as_internal_server_error(client):
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="hang-1s", messages=USER)
    assert caught.value.status_code == 504


def test_no_usable_target_is_503(gateway, mock):
    rid = request_id("no-target")
    response = gateway.http.post(
        "/v1/chat/completions", headers={"x-request-id": rid}, json={"model": "needs-key", "messages": USER})
    error = assert_openai_error(response, 503, type_="upstream_error", code="no_available_target")
    assert "no-key" in error["message"]
    assert "GATEWAYHOST_E2E_DEFINITELY_UNSET_KEY" in error["message"]
    assert mock.requests_with_id(rid) == []


def test_error_shapes_through_the_sdk(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="echo-model", messages=[])
    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"
    assert caught.value.param == "messages"
