"""Anthropic targets behind the OpenAI API: the official `openai` SDK talks to the gateway, the gateway talks the
Messages API to the mock upstream (Tests/mock_upstream/anthropic_wire.py), and both sides are checked: what the
client gets (chat JSON, streams, tools, usage, errors) and what the mock received (GET /__mock/requests: headers,
`system`, messages, tools, stop/temperature/top_p/max_tokens/user mapping). The main config's policies run too:
redaction (request and answer, JSON and stream) and the keyword block work on an Anthropic target unchanged.
"""

from __future__ import annotations

import base64
import json

import openai
import pytest

from conftest import _start, _stop
from e2e_support import assert_openai_error, main_config, make_client, parse_sse, request_id

KEY = "sk-ant-mock-e2e-0123456789"
MODEL = "claude-sonnet-4-5"
PNG_URL = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


def anthropic_target(target_id: str, model: str, base: str, **extra) -> dict:
    target = {"id": target_id, "provider": "anthropic", "model": model, "base_url": base,
              "secret_key_ref": {"env": "MOCK_ANTHROPIC_KEY"}}
    target.update(extra)
    return target


@pytest.fixture(scope="module")
def gw(mock, plugins, dead_port):
    """The main config's policies (block-words, redact) with Anthropic targets only, asked for by id."""
    config = main_config(mock.port, dead_port, plugins)
    config["providers"] = {"strategy": "single", "targets": [
        anthropic_target("claude", MODEL, mock.base, max_tokens=1024),
        anthropic_target("claude-default", MODEL, mock.base),  # no max_tokens: the default 4096
        anthropic_target("claude-tools", "mock-tools", mock.base, max_tokens=1024),
        anthropic_target("claude-429", "mock-429", mock.base),
        anthropic_target("claude-400", "mock-400", mock.base),
        anthropic_target("claude-500", "mock-500", mock.base),
        anthropic_target("claude-529", "mock-529", mock.base),
        anthropic_target("claude-cut", "mock-cut", mock.base),
    ]}
    gateway = _start(config, plugins, env={"MOCK_ANTHROPIC_KEY": KEY})
    yield gateway
    _stop(gateway)


@pytest.fixture(scope="module")
def client(gw):
    c = make_client(gw)
    yield c
    c.close()


def user(text):
    return [{"role": "user", "content": text}]


def sent(mock, rid) -> dict:
    """The Messages request the mock received for `rid` (exactly one), checked for its path and headers."""
    seen = mock.one_request(rid)
    assert seen["method"] == "POST" and seen["path"] == "/v1/messages", seen["path"]
    assert seen["headers"].get("x-api-key") == KEY
    assert seen["headers"].get("anthropic-version") == "2023-06-01"
    assert "authorization" not in seen["headers"], "the key goes in x-api-key only"
    return json.loads(seen["body"])


def collect(stream) -> tuple[str, dict, str | None, list]:
    """(text, tool calls by index as {id, name, arguments}, finish_reason, chunks) reassembled from SDK chunks."""
    text, tools, finish, chunks = [], {}, None, []
    for chunk in stream:
        chunks.append(chunk)
        for choice in chunk.choices:
            delta = choice.delta
            text.append(delta.content or "")
            for call in delta.tool_calls or []:
                entry = tools.setdefault(call.index, {"id": None, "name": None, "arguments": ""})
                if call.id:
                    entry["id"] = call.id
                if call.function and call.function.name:
                    entry["name"] = call.function.name
                if call.function and call.function.arguments:
                    entry["arguments"] += call.function.arguments
            if choice.finish_reason:
                finish = choice.finish_reason
    return "".join(text), tools, finish, chunks


# ------------------------------------------------------------------------------------------- chat

def test_chat_json(client, gw, mock):
    rid = request_id("anth-json")
    raw = client.chat.completions.with_raw_response.create(
        model="claude", messages=user("hello there"), extra_headers={"x-request-id": rid})
    completion = raw.parse()
    assert raw.headers.get("x-gatewayhost-target") == "claude"
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == "echo: hello there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.tool_calls is None
    body = sent(mock, rid)
    assert body["model"] == MODEL
    assert body["max_tokens"] == 1024  # the target's max_tokens
    assert body["messages"] == [{"role": "user", "content": "hello there"}]
    assert "stream" not in body and "system" not in body


def test_max_tokens_default_and_client_values(client, mock):
    cases = [("claude-default", {}, 4096), ("claude", {"max_tokens": 7}, 7),
             ("claude", {"max_completion_tokens": 9}, 9)]
    for model, fields, expected in cases:
        rid = request_id("anth-max")
        client.chat.completions.create(model=model, messages=user("x"), extra_headers={"x-request-id": rid},
                                       **fields)
        assert sent(mock, rid)["max_tokens"] == expected, (model, fields)


def test_small_max_tokens_finishes_with_length(client):
    completion = client.chat.completions.create(model="claude", messages=user("one two three four"), max_tokens=2)
    assert completion.choices[0].message.content == "echo: one"
    assert completion.choices[0].finish_reason == "length"


def test_usage_json(client):
    completion = client.chat.completions.create(
        model="claude", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "a b c"}])
    # The mock counts words: prompt = "be brief" + "a b c", completion = "echo: a b c".
    assert completion.usage.prompt_tokens == 5
    assert completion.usage.completion_tokens == 4
    assert completion.usage.total_tokens == 9


def test_system_and_developer_messages_become_system(client, mock):
    rid = request_id("anth-system")
    completion = client.chat.completions.create(
        model="claude", extra_headers={"x-request-id": rid},
        messages=[{"role": "system", "content": "You are terse."}, {"role": "developer", "content": "Use French."},
                  {"role": "user", "content": "bonjour"}])
    assert completion.choices[0].message.content == "echo: bonjour"
    body = sent(mock, rid)
    assert body["system"] == "You are terse.\n\nUse French."
    assert body["messages"] == [{"role": "user", "content": "bonjour"}]


def test_sampling_stop_and_user_are_mapped(client, mock):
    rid = request_id("anth-params")
    completion = client.chat.completions.create(
        model="claude", messages=user("one two STOP three"), stop=["STOP", "NEVER"], temperature=0.3, top_p=0.8,
        user="user-42", max_tokens=50, extra_headers={"x-request-id": rid})
    assert completion.choices[0].message.content == "echo: one two "
    assert completion.choices[0].finish_reason == "stop"
    body = sent(mock, rid)
    assert body["stop_sequences"] == ["STOP", "NEVER"]
    assert body["temperature"] == 0.3 and body["top_p"] == 0.8
    assert body["metadata"] == {"user_id": "user-42"}
    assert body["max_tokens"] == 50
    rid = request_id("anth-stop1")
    client.chat.completions.create(model="claude", messages=user("x"), stop="END", extra_headers={"x-request-id": rid})
    assert sent(mock, rid)["stop_sequences"] == ["END"]


def test_images_base64_and_url(client, mock):
    rid = request_id("anth-image")
    completion = client.chat.completions.create(model="claude", extra_headers={"x-request-id": rid}, messages=[
        {"role": "user", "content": [
            {"type": "text", "text": "what is this"},
            {"type": "image_url", "image_url": {"url": PNG_URL}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "low"}}]}])
    assert completion.choices[0].message.content == "echo: what is this [image] [image]"
    content = sent(mock, rid)["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "what is this"}
    assert content[1] == {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                      "data": PNG_URL.split(",", 1)[1]}}
    assert content[2] == {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}


# ------------------------------------------------------------------------------------------- streams

def test_stream_reassembles_the_echo(client, mock):
    rid = request_id("anth-stream")
    stream = client.chat.completions.create(model="claude", messages=user("streamed words come back"), stream=True,
                                            extra_headers={"x-request-id": rid})
    text, tools, finish, chunks = collect(stream)
    assert text == "echo: streamed words come back"
    assert tools == {} and finish == "stop"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert len({chunk.id for chunk in chunks}) == 1
    assert sent(mock, rid)["stream"] is True


def test_stream_on_the_wire_ends_with_done(gw):
    with gw.http.stream("POST", "/v1/chat/completions", json={
            "model": "claude", "messages": user("a b"), "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(response.read().decode())
    assert events[-1]["data"] == "[DONE]"
    assert all(e["event"] is None for e in events), "only OpenAI-style data events reach the client"
    chunks = [json.loads(e["data"]) for e in events[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == "echo: a b"


def test_stream_usage_with_include_usage(client):
    stream = client.chat.completions.create(
        model="claude", messages=user("a b c"), stream=True, stream_options={"include_usage": True})
    text, _, finish, chunks = collect(stream)
    assert text == "echo: a b c" and finish == "stop"
    last = chunks[-1]
    assert last.choices == []
    assert (last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens) == (3, 4, 7)
    assert all(chunk.usage is None for chunk in chunks[:-1])


def test_stream_without_include_usage_has_no_usage_chunk(client):
    _, _, _, chunks = collect(client.chat.completions.create(model="claude", messages=user("a"), stream=True))
    assert all(chunk.choices for chunk in chunks)


def test_cut_stream_raises_in_the_sdk(client):
    stream = client.chat.completions.create(model="claude-cut", messages=user("one two three four five"),
                                            stream=True)
    received = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            received.append(chunk)
    assert received, "the chunks before the cut arrive"
    assert "".join(c.choices[0].delta.content or "" for c in received if c.choices).startswith("echo:")


# ------------------------------------------------------------------------------------------- tools

def test_tool_call_json(client, mock):
    rid = request_id("anth-tools")
    completion = client.chat.completions.create(
        model="claude-tools", messages=user("weather in Paris?"), tools=[WEATHER_TOOL], tool_choice="required",
        parallel_tool_calls=False, extra_headers={"x-request-id": rid})
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert call.id.startswith("toolu_")
    body = sent(mock, rid)
    assert body["tools"] == [{"name": "get_weather", "description": "Weather of a city",
                              "input_schema": WEATHER_TOOL["function"]["parameters"]}]
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}


@pytest.mark.parametrize("choice, expected", [
    ("auto", {"type": "auto"}), ("none", {"type": "none"}),
    ({"type": "function", "function": {"name": "get_weather"}}, {"type": "tool", "name": "get_weather"}),
])
def test_tool_choice_mapping(client, mock, choice, expected):
    rid = request_id("anth-choice")
    client.chat.completions.create(model="claude", messages=user("x"), tools=[WEATHER_TOOL], tool_choice=choice,
                                   extra_headers={"x-request-id": rid})
    assert sent(mock, rid)["tool_choice"] == expected


def test_tool_call_stream(client):
    stream = client.chat.completions.create(model="claude-tools", messages=user("weather?"), tools=[WEATHER_TOOL],
                                            stream=True)
    text, tools, finish, _ = collect(stream)
    assert text == "" and finish == "tool_calls"
    assert list(tools) == [0]
    assert tools[0]["name"] == "get_weather" and tools[0]["id"].startswith("toolu_")
    assert json.loads(tools[0]["arguments"]) == {"city": "Paris"}


def test_tool_loop(client, mock):
    first = client.chat.completions.create(model="claude-tools", messages=user("weather?"), tools=[WEATHER_TOOL])
    call = first.choices[0].message.tool_calls[0]
    rid = request_id("anth-loop")
    second = client.chat.completions.create(model="claude-tools", tools=[WEATHER_TOOL],
                                            extra_headers={"x-request-id": rid}, messages=[
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call.id, "type": "function",
             "function": {"name": call.function.name, "arguments": call.function.arguments}}]},
        {"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"}])
    assert second.choices[0].message.content == "echo: 18C and sunny"
    assert second.choices[0].finish_reason == "stop"
    messages = sent(mock, rid)["messages"]
    assert messages[1] == {"role": "assistant", "content": [
        {"type": "tool_use", "id": call.id, "name": "get_weather", "input": {"city": "Paris"}}]}
    assert messages[2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": call.id, "content": "18C and sunny"}]}


# ------------------------------------------------------------------------------------------- errors

def test_429_is_a_rate_limit_error(client):
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="claude-429", messages=user("x"))
    assert caught.value.status_code == 429
    assert caught.value.type == "rate_limit_error"


def test_400_is_a_bad_request_with_anthropics_message(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="claude-400", messages=user("x"))
    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"
    assert "bad thing" in caught.value.message


@pytest.mark.parametrize("model", ["claude-500", "claude-529"])
def test_5xx_and_overloaded_become_502(client, gw, model):
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model=model, messages=user("x"))
    assert caught.value.status_code == 502
    assert caught.value.type == "upstream_error"
    response = gw.chat("x", model=model, stream=True)
    assert_openai_error(response, 502, type_="upstream_error")


def test_untranslatable_request_is_400_before_the_upstream(client, mock):
    cases = [({"n": 2}, "n"), ({"logprobs": True}, "logprobs"),
             ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}},
              "response_format")]
    for fields, param in cases:
        rid = request_id("anth-refused")
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(model="claude", messages=user("x"), extra_headers={"x-request-id": rid},
                                           **fields)
        assert caught.value.param == param, fields
        assert "anthropic" in caught.value.message.lower()
        assert mock.requests_with_id(rid) == []


def test_invalid_tool_arguments_are_400(client, mock):
    rid = request_id("anth-badargs")
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="claude", extra_headers={"x-request-id": rid}, messages=[
            {"role": "user", "content": "x"},
            {"role": "assistant", "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "r"}])
    assert caught.value.param == "messages[1].tool_calls[0].function.arguments"
    assert mock.requests_with_id(rid) == []


def test_responses_api_is_refused_for_anthropic(gw, mock):
    rid = request_id("anth-responses")
    response = gw.http.post("/v1/responses", json={"model": "claude", "input": "x"}, headers={"x-request-id": rid})
    assert_openai_error(response, 400)
    assert mock.requests_with_id(rid) == []


# ------------------------------------------------------------------------------------------- policies

def test_request_redaction_reaches_anthropic(client, mock):
    rid = request_id("anth-redact")
    completion = client.chat.completions.create(
        model="claude", messages=user("my code is SECRET-1234"), extra_headers={"x-request-id": rid})
    assert completion.choices[0].message.content == "echo: my code is [REDACTED]"
    body = sent(mock, rid)
    assert body["messages"][0]["content"] == "my code is [REDACTED]"
    assert "SECRET-" not in mock.one_request(rid)["body"]


def test_request_redaction_with_streamed_answer(client, mock):
    rid = request_id("anth-redact-stream")
    stream = client.chat.completions.create(model="claude", messages=user("codes SECRET-1 and SECRET-22"),
                                            stream=True, extra_headers={"x-request-id": rid})
    assert collect(stream)[0] == "echo: codes [REDACTED] and [REDACTED]"
    assert "SECRET-" not in mock.one_request(rid)["body"]


# The mock answers REVEAL-<n> as SECRET-<n>: a secret only the answer carries, so only the response / stream-chunk
# hooks (running after the translation back to OpenAI's shape) stand between it and the client.
def test_answer_redaction_json(client, mock):
    rid = request_id("anth-redact-answer")
    completion = client.chat.completions.create(model="claude", messages=user("leaked REVEAL-4242"),
                                                extra_headers={"x-request-id": rid})
    assert "REVEAL-4242" in mock.one_request(rid)["body"], "precondition: the request was not altered"
    assert completion.choices[0].message.content == "echo: leaked [REDACTED]"


def test_answer_redaction_stream(client, mock):
    rid = request_id("anth-redact-answer-stream")
    stream = client.chat.completions.create(model="claude", messages=user("leaked REVEAL-4242 here"), stream=True,
                                            extra_headers={"x-request-id": rid})
    assert "REVEAL-4242" in mock.one_request(rid)["body"]
    assert collect(stream)[0] == "echo: leaked [REDACTED] here"


def test_blocked_words_never_reach_anthropic(client, mock):
    for stream in (False, True):
        rid = request_id("anth-block")
        with pytest.raises(openai.ConflictError) as caught:
            client.chat.completions.create(model="claude", messages=user("tell me the forbidden thing"),
                                           stream=stream, extra_headers={"x-request-id": rid})
        assert caught.value.status_code == 409
        assert caught.value.type == "policy_violation"
        assert mock.requests_with_id(rid) == []
