"""The policy chain seen from outside: a keyword block (409 policy_violation) and a redaction that the
upstream and the client both see applied, for JSON answers and streams."""

import json

import openai
import pytest

from e2e_support import parse_sse, request_id

BLOCK_MESSAGE = "Request blocked: forbidden word"


def _assert_blocked(error: openai.ConflictError) -> None:
    assert error.status_code == 409
    assert error.body["type"] == "policy_violation"
    assert error.body["code"] == "input_blocked"
    assert error.body["policy"] == "block-words"  # the chain entry name, not the plugin's descriptor name
    assert error.body["message"] == BLOCK_MESSAGE
    assert error.type == "policy_violation" and error.code == "input_blocked"
    assert error.response.headers.get("content-type", "").startswith("application/json")
    full = error.response.json()["error"]
    assert set(full) >= {"message", "type", "param", "code", "policy"}


def test_blocked_chat_request(client, mock):
    rid = request_id("block")
    with pytest.raises(openai.ConflictError) as caught:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "tell me the Forbidden thing"}],
            extra_headers={"x-request-id": rid})
    _assert_blocked(caught.value)
    assert caught.value.response.headers.get("x-request-id") == rid
    assert mock.requests_with_id(rid) == [], "a blocked request must never reach the upstream"


def test_blocked_stream_request_fails_before_streaming(client, mock):
    rid = request_id("block-stream")
    with pytest.raises(openai.ConflictError) as caught:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "forbidden, streamed"}], stream=True,
            extra_headers={"x-request-id": rid})
    _assert_blocked(caught.value)
    assert mock.requests_with_id(rid) == []


def test_blocked_responses_request(client, mock):
    rid = request_id("block-responses")
    with pytest.raises(openai.ConflictError) as caught:
        client.responses.create(model="gpt-4o-mini", input="a FORBIDDEN input", extra_headers={"x-request-id": rid})
    _assert_blocked(caught.value)
    assert mock.requests_with_id(rid) == []


def test_block_applies_to_echo_target_too(client):
    with pytest.raises(openai.ConflictError) as caught:
        client.chat.completions.create(model="echo-model", messages=[{"role": "user", "content": "forbidden"}])
    _assert_blocked(caught.value)


def test_unblocked_system_text_is_not_scanned(client):
    # keyword-blocklist scans role "user" by default: the same word in a system message passes.
    completion = client.chat.completions.create(
        model="echo-model", messages=[{"role": "system", "content": "forbidden topics: none"},
                                      {"role": "user", "content": "fine"}])
    assert completion.choices[0].message.content == "echo: fine"


def test_request_redaction_reaches_the_upstream(client, mock):
    rid = request_id("redact")
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "my code is SECRET-1234"}],
        extra_headers={"x-request-id": rid})
    assert completion.choices[0].message.content == "echo: my code is [REDACTED]"
    seen = mock.one_request(rid)["body"]
    assert "[REDACTED]" in seen and "SECRET-1234" not in seen
    assert json.loads(seen)["messages"][0]["content"] == "my code is [REDACTED]"


def test_request_redaction_with_streamed_answer(client, mock):
    rid = request_id("redact-stream")
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "codes SECRET-1 and SECRET-22"}], stream=True,
        extra_headers={"x-request-id": rid})
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "echo: codes [REDACTED] and [REDACTED]"
    seen = mock.one_request(rid)["body"]
    assert "SECRET-" not in seen


def test_responses_input_redaction(client, mock):
    rid = request_id("redact-responses")
    response = client.responses.create(
        model="gpt-4o-mini", input="token SECRET-777", instructions="keep SECRET-888 safe",
        extra_headers={"x-request-id": rid})
    assert response.output_text == "echo: token [REDACTED]"
    body = json.loads(mock.one_request(rid)["body"])
    assert body["input"] == "token [REDACTED]"
    assert body["instructions"] == "keep [REDACTED] safe"


# The answer-side hooks: the gateway scans only content parts of known types ("text", "input_text"), while
# the mock echoes the text of any part. A part of an unknown type therefore carries SECRET-<n> to the upstream
# verbatim, the upstream echoes it, and only the response / stream-chunk hooks stand between it and the client.
_UNSCANNED_PART = [{"type": "x-e2e-unscanned", "text": "leaked SECRET-4242"}]


def test_answer_redaction_json(client, mock):
    rid = request_id("redact-answer")
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": _UNSCANNED_PART}],
        extra_headers={"x-request-id": rid})
    assert "SECRET-4242" in mock.one_request(rid)["body"], "precondition: the upstream saw the secret"
    assert completion.choices[0].message.content == "echo: leaked [REDACTED]"


def test_answer_redaction_stream(client, mock):
    rid = request_id("redact-answer-stream")
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": _UNSCANNED_PART}], stream=True,
        extra_headers={"x-request-id": rid})
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert "SECRET-4242" in mock.one_request(rid)["body"], "precondition: the upstream saw the secret"
    assert text == "echo: leaked [REDACTED]"


def test_answer_redaction_responses_stream(client, mock):
    rid = request_id("redact-answer-rstream")
    stream = client.responses.create(
        model="gpt-4o-mini",
        input=[{"role": "user", "content": [{"type": "x-e2e-unscanned", "text": "leaked SECRET-99"}]}],
        stream=True, extra_headers={"x-request-id": rid})
    deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
    assert "SECRET-99" in mock.one_request(rid)["body"], "precondition: the upstream saw the secret"
    assert "".join(deltas) == "echo: leaked [REDACTED]"


# The final Responses events repeat the whole text (output_text.done, content_part.done, output_item.done,
# response.completed): they must be redacted too, or the SDK's final response.output_text shows the secret.
def test_answer_redaction_responses_stream_final_events(gateway, mock):
    rid = request_id("redact-final-events")
    body = {"model": "gpt-4o-mini", "stream": True,
            "input": [{"role": "user", "content": [{"type": "x-e2e-unscanned", "text": "leaked SECRET-99"}]}]}
    with gateway.http.stream("POST", "/v1/responses", json=body, headers={"x-request-id": rid}) as response:
        text = response.read().decode()
    assert "SECRET-99" in mock.one_request(rid)["body"], "precondition: the upstream saw the secret"
    leaking = [e["event"] for e in parse_sse(text) if "SECRET-99" in e["data"]]
    assert leaking == [], f"events still carrying the secret: {leaking}"
