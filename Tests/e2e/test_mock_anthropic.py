"""The mock upstream's Anthropic dialect (Tests/mock_upstream/anthropic_wire.py) checked against the official
`anthropic` SDK: if the SDK parses its JSON answers, reassembles its streams (text and tool_use input JSON) and
raises the right exception class for its errors, the mock speaks the Messages API as the gateway will meet it.

No gateway involved: the SDK talks to the mock directly.
"""

from __future__ import annotations

import base64

import anthropic
import httpx
import pytest

from e2e_support import HTTP_TIMEOUT, request_id

KEY = "sk-ant-mock-0123456789"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
WEATHER_TOOL = {"name": "get_weather", "description": "Weather of a city",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


@pytest.fixture
def sdk(mock):
    client = anthropic.Anthropic(api_key=KEY, base_url=mock.base, max_retries=0, timeout=HTTP_TIMEOUT)
    yield client
    client.close()


def user(text):
    return [{"role": "user", "content": text}]


def test_json_answer_echoes_with_usage(sdk, mock):
    rid = request_id("anthropic-json")
    message = sdk.messages.create(model="claude-mock", max_tokens=100, system="Be brief please",
                                  messages=user("hello there"), extra_headers={"x-request-id": rid})
    assert isinstance(message, anthropic.types.Message)
    assert message.role == "assistant" and message.type == "message"
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "echo: hello there"
    assert message.stop_reason == "end_turn" and message.stop_sequence is None
    assert message.usage.input_tokens == 5  # "Be brief please" + "hello there"
    assert message.usage.output_tokens == 3
    assert message.usage.cache_read_input_tokens == 0
    seen = mock.one_request(rid)
    assert seen["path"] == "/v1/messages"
    # The SDK sends its key as x-api-key or, in recent versions, as a bearer token: the mock takes both.
    assert KEY in (seen["headers"].get("x-api-key"), seen["headers"].get("authorization", "").removeprefix("Bearer "))
    assert seen["headers"]["anthropic-version"]


def test_images_arrive_as_base64_and_url_sources(sdk):
    message = sdk.messages.create(model="claude-mock", max_tokens=100, messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
    ]}])
    assert message.content[0].text == "echo: what is this [image] [image]"


def test_stop_sequences_and_max_tokens_end_the_answer(sdk):
    stopped = sdk.messages.create(model="claude-mock", max_tokens=100, stop_sequences=["STOP"],
                                  messages=user("one two STOP three"))
    assert stopped.content[0].text == "echo: one two "
    assert stopped.stop_reason == "stop_sequence" and stopped.stop_sequence == "STOP"
    cut = sdk.messages.create(model="claude-mock", max_tokens=2, messages=user("one two three"))
    assert cut.content[0].text == "echo: one"
    assert cut.stop_reason == "max_tokens"


def test_stream_reassembles_text(sdk):
    with sdk.messages.stream(model="claude-mock", max_tokens=100, messages=user("streamed words come back")) as s:
        pieces = list(s.text_stream)
        final = s.get_final_message()
    assert len(pieces) == 5  # word by word
    assert "".join(pieces) == "echo: streamed words come back"
    assert final.content[0].text == "echo: streamed words come back"
    assert final.stop_reason == "end_turn"
    assert final.usage.input_tokens == 4 and final.usage.output_tokens == 5


def test_raw_stream_events_come_in_the_api_order(sdk):
    stream = sdk.messages.create(model="claude-mock", max_tokens=100, messages=user("a b"), stream=True)
    kinds = [event.type for event in stream]
    assert kinds == ["message_start", "content_block_start", "content_block_delta", "content_block_delta",
                     "content_block_delta", "content_block_stop", "message_delta", "message_stop"]


def test_tool_use_json_and_tool_loop(sdk):
    first = sdk.messages.create(model="mock-tools", max_tokens=100, tools=[WEATHER_TOOL],
                                messages=user("weather in Paris?"))
    assert first.stop_reason == "tool_use"
    [call] = first.content
    assert call.type == "tool_use" and call.name == "get_weather" and call.input == {"city": "Paris"}
    assert call.id.startswith("toolu_")
    second = sdk.messages.create(model="mock-tools", max_tokens=100, tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "weather in Paris?"},
        {"role": "assistant", "content": [call.model_dump()]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "18C and sunny"}]},
    ])
    assert second.content[0].text == "echo: 18C and sunny"
    assert second.stop_reason == "end_turn"


def test_stream_reassembles_tool_input_json(sdk):
    with sdk.messages.stream(model="mock-tools", max_tokens=100, tools=[WEATHER_TOOL],
                             messages=user("weather?")) as s:
        events = list(s)
        final = s.get_final_message()
    assert any(e.type == "input_json" for e in events)  # the SDK's partial-JSON event
    [call] = final.content
    assert call.type == "tool_use" and call.name == "get_weather" and call.input == {"city": "Paris"}
    assert final.stop_reason == "tool_use"


@pytest.mark.parametrize("model, exception, status, error_type", [
    ("mock-429", anthropic.RateLimitError, 429, "rate_limit_error"),
    ("mock-400", anthropic.BadRequestError, 400, "invalid_request_error"),
    ("mock-500", anthropic.InternalServerError, 500, "api_error"),
    ("mock-529", anthropic.InternalServerError, 529, "overloaded_error"),
])
def test_errors_raise_the_sdk_exception(sdk, model, exception, status, error_type):
    with pytest.raises(exception) as caught:
        sdk.messages.create(model=model, max_tokens=10, messages=user("x"))
    assert caught.value.status_code == status
    assert caught.value.body["type"] == "error"
    assert caught.value.body["error"]["type"] == error_type
    assert caught.value.request_id and caught.value.request_id.startswith("req_")
    if status == 429:
        assert caught.value.response.headers["retry-after"] == "1"


def test_errors_also_raise_when_streaming(sdk):
    with pytest.raises(anthropic.RateLimitError):
        with sdk.messages.stream(model="mock-429", max_tokens=10, messages=user("x")) as s:
            list(s)


def test_cut_stream_fails_in_the_sdk(sdk):
    texts = []
    # The SDK's HTTP layer (httpx, or its httpx2 fork in recent SDKs) raises its RemoteProtocolError.
    with pytest.raises(Exception) as caught:
        with sdk.messages.stream(model="mock-cut", max_tokens=100, messages=user("one two three four")) as s:
            for text in s.text_stream:
                texts.append(text)
    assert isinstance(caught.value, (anthropic.APIError, httpx.HTTPError)) \
        or type(caught.value).__name__ == "RemoteProtocolError", repr(caught.value)
    assert texts == ["echo:"]  # one delta arrived before the cut


def test_requests_the_api_refuses_are_400(sdk):
    with pytest.raises(anthropic.BadRequestError, match="alternate"):
        sdk.messages.create(model="claude-mock", max_tokens=10,
                            messages=[{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])
    with pytest.raises(anthropic.BadRequestError, match="Extra inputs"):
        sdk.messages.create(model="claude-mock", max_tokens=10, messages=user("a"), extra_body={"n": 2})
    with pytest.raises(anthropic.BadRequestError, match="tool_use_id"):
        sdk.messages.create(model="claude-mock", max_tokens=10, messages=[
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "r"}]}])
    with pytest.raises(anthropic.BadRequestError, match="non-empty"):
        sdk.messages.create(model="claude-mock", max_tokens=10,
                            messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}])


def test_missing_key_or_version_is_refused(mock):
    body = {"model": "claude-mock", "max_tokens": 10, "messages": user("x")}
    no_key = mock.http.post("/v1/messages", json=body, headers={"anthropic-version": "2023-06-01"})
    assert no_key.status_code == 401
    assert no_key.json()["error"]["type"] == "authentication_error"
    no_version = mock.http.post("/v1/messages", json=body, headers={"x-api-key": KEY})
    assert no_version.status_code == 400
    assert no_version.json()["error"]["type"] == "invalid_request_error"
    bearer = mock.http.post("/v1/messages", json=body,
                            headers={"authorization": "Bearer " + KEY, "anthropic-version": "2023-06-01"})
    assert bearer.status_code == 200, bearer.text
    # The SDK's own error class for a refused key (the Authorization header explicitly left out).
    with anthropic.Anthropic(api_key="unused", base_url=mock.base, max_retries=0, timeout=HTTP_TIMEOUT,
                             default_headers={"Authorization": anthropic.Omit()}) as client:
        with pytest.raises(anthropic.AuthenticationError):
            client.messages.create(model="claude-mock", max_tokens=10, messages=user("x"))
