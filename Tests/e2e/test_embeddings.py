"""POST /v1/embeddings through the gateway with the official openai SDK: the request chain sees the input strings
(redaction reaches the provider, a blocked word is refused before it), OpenAI's checks, the echo provider's local
vectors, and targets that cannot embed refused with a clear 400."""

from __future__ import annotations

import base64
import hashlib
import json
import struct

import openai
import pytest

from e2e_support import assert_openai_error, make_client, request_id


def mock_vector(text: str) -> list[float]:
    """The mock upstream's deterministic vector for `text` (see embedding_vector in mock_upstream.py)."""
    digest = hashlib.sha256(text.encode()).digest()
    return [int.from_bytes(digest[i * 4:i * 4 + 4], "little", signed=True) / 2 ** 31 for i in range(8)]


def echo_vector(text: str) -> list[float]:
    """The echo provider's vector (EchoAdapter+Embeddings.swift): FNV-1a per dimension, as float32."""
    values = []
    for dimension in range(8):
        h = 0xcbf29ce484222325 ^ dimension
        for byte in text.encode():
            h ^= byte
            h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
        signed = h - (1 << 64) if h >= 1 << 63 else h
        values.append(struct.unpack("<f", struct.pack("<f", (signed >> 40) / float(1 << 23)))[0])
    return values


def close(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) < 1e-6 for x, y in zip(a, b))


def test_the_sdk_gets_vectors_and_the_provider_gets_redacted_input(gateway, mock):
    rid = request_id("embed")
    client = make_client(gateway)
    try:
        result = client.embeddings.create(model="gpt-4o-mini", input=["call SECRET-1234 now", "plain text"],
                                          extra_headers={"x-request-id": rid})
    finally:
        client.close()
    sent = json.loads(mock.one_request(rid)["body"])
    assert sent["input"] == ["call [REDACTED] now", "plain text"]
    assert sent["encoding_format"] == "base64"  # the SDK's default, passed through
    assert [item.index for item in result.data] == [0, 1]
    assert close(result.data[0].embedding, mock_vector("call [REDACTED] now"))
    assert close(result.data[1].embedding, mock_vector("plain text"))
    assert result.usage.prompt_tokens > 0


def test_a_blocked_word_never_reaches_the_provider(gateway, mock):
    rid = request_id("embed-block")
    response = gateway.http.post("/v1/embeddings", headers={"x-request-id": rid},
                                 json={"model": "gpt-4o-mini", "input": ["fine", "a forbidden word"]})
    assert_openai_error(response, 409, type_="policy_violation", code="input_blocked")
    assert mock.requests_with_id(rid) == []


def test_the_echo_provider_embeds_locally_as_floats_and_base64(gateway):
    floats = gateway.http.post("/v1/embeddings", json={"model": "echo-model", "input": "hello",
                                                       "encoding_format": "float"})
    assert floats.status_code == 200, floats.text
    body = floats.json()
    assert body["object"] == "list" and body["model"] == "echo-model"
    assert close(body["data"][0]["embedding"], echo_vector("hello"))
    client = make_client(gateway)
    try:
        result = client.embeddings.create(model="echo-model", input="hello")
    finally:
        client.close()
    assert close(result.data[0].embedding, echo_vector("hello"))


@pytest.mark.parametrize("body, param, code", [
    ({"model": "echo-model"}, "input", "missing_required_parameter"),
    ({"model": "echo-model", "input": []}, "input", "empty_array"),
    ({"model": "echo-model", "input": {"a": 1}}, "input", "invalid_type"),
    ({"model": "echo-model", "input": "x", "dimensions": "many"}, "dimensions", "invalid_type"),
])
def test_bad_requests_get_openai_style_400s(gateway, body, param, code):
    response = gateway.http.post("/v1/embeddings", json=body)
    error = assert_openai_error(response, 400, type_="invalid_request_error", code=code)
    assert error["param"] == param
    gateway.assert_healthy()


def test_the_sdk_raises_bad_request_for_a_model_nothing_serves(gateway):
    client = make_client(gateway)
    try:
        with pytest.raises(openai.NotFoundError):
            client.embeddings.create(model="no-such-embedder", input="x")
    finally:
        client.close()


def test_an_azure_deployment_embeds_through_its_deployment_url(gateway, mock):
    rid = request_id("embed-azure")
    response = gateway.http.post("/v1/embeddings", headers={"x-request-id": rid},
                                 json={"model": "mock-azure", "input": "azure SECRET-77", "encoding_format": "float"})
    assert response.status_code == 200, response.text
    seen = mock.one_request(rid)
    assert seen["path"] == "/openai/deployments/my-deployment/embeddings"
    assert "api-version=" in seen["query"]
    assert json.loads(seen["body"])["input"] == "azure [REDACTED]"
    assert close(response.json()["data"][0]["embedding"], mock_vector("azure [REDACTED]"))
