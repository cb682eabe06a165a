"""Gemini targets behind the OpenAI API: the official `openai` SDK talks to the gateway, the gateway talks
generateContent / streamGenerateContent (SSE) / batchEmbedContents to the mock upstream
(Tests/mock_upstream/gemini_wire.py), and both sides are checked: what the client gets (chat JSON, streams, tools,
usage, errors, embeddings) and what the mock received (GET /__mock/requests: path, x-goog-api-key, contents,
systemInstruction, tools, toolConfig, generationConfig). The main config's policies run too: redaction (request and
answer, JSON and stream, embeddings input) and the keyword block work on a Gemini target unchanged.
"""

from __future__ import annotations

import base64
import json
import struct
import sys

import openai
import pytest

from conftest import _start, _stop
from e2e_support import REPO, assert_openai_error, main_config, make_client, parse_sse, request_id

sys.path.insert(0, str(REPO / "Tests" / "mock_upstream"))
import gemini_wire  # noqa: E402  (the mock's vector function: the expected embeddings)

KEY = "gemini-mock-e2e-key-0123456789"
MODEL = "gemini-2.0-flash"
EMBED_MODEL = "text-embedding-004"
PNG_DATA = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()
PNG_URL = "data:image/png;base64," + PNG_DATA
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                   "additionalProperties": False}}}


def gemini_target(target_id: str, model: str, base: str, **extra) -> dict:
    target = {"id": target_id, "provider": "gemini", "model": model, "base_url": base,
              "secret_key_ref": {"env": "MOCK_GEMINI_KEY"}}
    target.update(extra)
    return target


@pytest.fixture(scope="module")
def gw(mock, plugins, dead_port):
    """The main config's policies (block-words, redact) with Gemini targets only, asked for by id."""
    config = main_config(mock.port, dead_port, plugins)
    config["providers"] = {"strategy": "single", "targets": [
        gemini_target("gem", MODEL, mock.base),
        gemini_target("gem-tools", "mock-tools", mock.base),
        gemini_target("gem-blocked", "mock-blocked", mock.base),
        gemini_target("gem-429", "mock-429", mock.base),
        gemini_target("gem-400", "mock-400", mock.base),
        gemini_target("gem-500", "mock-500", mock.base),
        gemini_target("gem-503", "mock-503", mock.base),
        gemini_target("gem-cut", "mock-cut", mock.base),
        gemini_target("gem-error-event", "mock-error-event", mock.base),
        # The mock refuses this key as Google refuses a wrong one: 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
        gemini_target("gem-bad-key", MODEL, mock.base, secret_key_ref={"env": "MOCK_GEMINI_BAD_KEY"}),
        gemini_target("gem-embed", EMBED_MODEL, mock.base),
    ]}
    gateway = _start(config, plugins, env={"MOCK_GEMINI_KEY": KEY, "MOCK_GEMINI_BAD_KEY": gemini_wire.INVALID_KEY})
    yield gateway
    _stop(gateway)


@pytest.fixture(scope="module")
def client(gw):
    c = make_client(gw)
    yield c
    c.close()


def user(text):
    return [{"role": "user", "content": text}]


def sent(mock, rid, model=MODEL, method="generateContent") -> dict:
    """The Gemini request the mock received for `rid` (exactly one), checked for its path and key header."""
    seen = mock.one_request(rid)
    assert seen["method"] == "POST" and seen["path"] == f"/v1beta/models/{model}:{method}", seen["path"]
    assert seen["headers"].get("x-goog-api-key") == KEY
    assert "authorization" not in seen["headers"], "the key goes in x-goog-api-key only"
    if method == "streamGenerateContent":
        assert seen["query"] == "alt=sse"
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

def test_chat_json(client, mock):
    rid = request_id("gem-json")
    raw = client.chat.completions.with_raw_response.create(
        model="gem", messages=user("hello there"), extra_headers={"x-request-id": rid})
    completion = raw.parse()
    assert raw.headers.get("x-gatewayhost-target") == "gem"
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == "echo: hello there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.tool_calls is None
    body = sent(mock, rid)
    assert body == {"contents": [{"role": "user", "parts": [{"text": "hello there"}]}]}


def test_usage_json(client):
    completion = client.chat.completions.create(
        model="gem", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "a b c"}])
    # The mock counts words: prompt = "be brief" + "a b c", completion = "echo: a b c".
    assert completion.usage.prompt_tokens == 5
    assert completion.usage.completion_tokens == 4
    assert completion.usage.total_tokens == 9


def test_system_and_developer_messages_become_the_system_instruction(client, mock):
    rid = request_id("gem-system")
    completion = client.chat.completions.create(
        model="gem", extra_headers={"x-request-id": rid},
        messages=[{"role": "system", "content": "You are terse."}, {"role": "developer", "content": "Use French."},
                  {"role": "user", "content": "bonjour"}, {"role": "assistant", "content": "salut"},
                  {"role": "user", "content": "encore"}])
    assert completion.choices[0].message.content == "echo: encore"
    body = sent(mock, rid)
    assert body["systemInstruction"] == {"parts": [{"text": "You are terse."}, {"text": "Use French."}]}
    assert body["contents"] == [{"role": "user", "parts": [{"text": "bonjour"}]},
                                {"role": "model", "parts": [{"text": "salut"}]},
                                {"role": "user", "parts": [{"text": "encore"}]}]


def test_sampling_and_stop_go_to_generation_config_and_user_stays_home(client, mock):
    rid = request_id("gem-params")
    completion = client.chat.completions.create(
        model="gem", messages=user("one two STOP three"), stop=["STOP", "NEVER"], temperature=0.3, top_p=0.8,
        user="user-42", max_tokens=50, seed=7, extra_headers={"x-request-id": rid})
    assert completion.choices[0].message.content == "echo: one two "
    assert completion.choices[0].finish_reason == "stop"
    body = sent(mock, rid)
    assert body["generationConfig"] == {"stopSequences": ["STOP", "NEVER"], "temperature": 0.3, "topP": 0.8,
                                        "maxOutputTokens": 50, "seed": 7}
    assert "user-42" not in mock.one_request(rid)["body"], "Gemini has no end-user field: `user` is not sent"
    rid = request_id("gem-stop1")
    client.chat.completions.create(model="gem", messages=user("x"), stop="END", max_completion_tokens=9,
                                   extra_headers={"x-request-id": rid})
    assert sent(mock, rid)["generationConfig"] == {"stopSequences": ["END"], "maxOutputTokens": 9}


def test_small_max_tokens_finishes_with_length(client):
    completion = client.chat.completions.create(model="gem", messages=user("one two three four"), max_tokens=2)
    assert completion.choices[0].message.content == "echo: one"
    assert completion.choices[0].finish_reason == "length"


def test_n_gives_several_choices(client, mock):
    rid = request_id("gem-n")
    completion = client.chat.completions.create(model="gem", messages=user("twice"), n=2,
                                                extra_headers={"x-request-id": rid})
    assert [(c.index, c.message.content) for c in completion.choices] == [(0, "echo: twice"), (1, "echo: twice")]
    assert sent(mock, rid)["generationConfig"] == {"candidateCount": 2}


def test_json_response_format(client, mock):
    rid = request_id("gem-json-format")
    completion = client.chat.completions.create(
        model="gem", messages=user("as json"), extra_headers={"x-request-id": rid},
        response_format={"type": "json_schema", "json_schema": {"name": "echo", "strict": True, "schema": {
            "type": "object", "properties": {"echo": {"type": "string"}}, "required": ["echo"],
            "additionalProperties": False}}})
    assert json.loads(completion.choices[0].message.content) == {"echo": "echo: as json"}
    assert sent(mock, rid)["generationConfig"] == {
        "responseMimeType": "application/json",
        "responseSchema": {"type": "OBJECT", "properties": {"echo": {"type": "STRING"}}, "required": ["echo"]}}


def test_images_base64_and_url(client, mock):
    rid = request_id("gem-image")
    completion = client.chat.completions.create(model="gem", extra_headers={"x-request-id": rid}, messages=[
        {"role": "user", "content": [
            {"type": "text", "text": "what is this"},
            {"type": "image_url", "image_url": {"url": PNG_URL}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "low"}}]}])
    assert completion.choices[0].message.content == "echo: what is this [image] [image]"
    parts = sent(mock, rid)["contents"][0]["parts"]
    assert parts == [{"text": "what is this"},
                     {"inlineData": {"mimeType": "image/png", "data": PNG_DATA}},
                     {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/cat.jpg"}}]


def test_blocked_prompt_is_a_content_filter_answer(client):
    completion = client.chat.completions.create(model="gem-blocked", messages=user("something bad"))
    assert completion.choices[0].finish_reason == "content_filter"
    assert not completion.choices[0].message.content


# ------------------------------------------------------------------------------------------- streams

def test_stream_reassembles_the_echo(client, mock):
    rid = request_id("gem-stream")
    stream = client.chat.completions.create(model="gem", messages=user("streamed words come back"), stream=True,
                                            extra_headers={"x-request-id": rid})
    text, tools, finish, chunks = collect(stream)
    assert text == "echo: streamed words come back"
    assert tools == {} and finish == "stop"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert len({chunk.id for chunk in chunks}) == 1
    body = sent(mock, rid, method="streamGenerateContent")
    assert "stream" not in body and "stream_options" not in body


def test_stream_on_the_wire_ends_with_done(gw):
    with gw.http.stream("POST", "/v1/chat/completions", json={
            "model": "gem", "messages": user("a b"), "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(response.read().decode())
    assert events[-1]["data"] == "[DONE]"
    assert all(e["event"] is None for e in events), "only OpenAI-style data events reach the client"
    chunks = [json.loads(e["data"]) for e in events[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == "echo: a b"


def test_stream_usage_with_include_usage(client):
    stream = client.chat.completions.create(
        model="gem", messages=user("a b c"), stream=True, stream_options={"include_usage": True})
    text, _, finish, chunks = collect(stream)
    assert text == "echo: a b c" and finish == "stop"
    last = chunks[-1]
    assert last.choices == []
    assert (last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens) == (3, 4, 7)
    assert all(chunk.usage is None for chunk in chunks[:-1])


def test_stream_without_include_usage_has_no_usage_chunk(client):
    _, _, _, chunks = collect(client.chat.completions.create(model="gem", messages=user("a"), stream=True))
    assert all(chunk.choices for chunk in chunks)


@pytest.mark.parametrize("model", ["gem-cut", "gem-error-event"])
def test_cut_or_failed_stream_raises_in_the_sdk(client, model):
    stream = client.chat.completions.create(model=model, messages=user("one two three four five"), stream=True)
    received = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            received.append(chunk)
    assert received, "the chunks before the cut arrive"
    assert "".join(c.choices[0].delta.content or "" for c in received if c.choices).startswith("echo:")


# ------------------------------------------------------------------------------------------- tools

def test_tool_call_json(client, mock):
    rid = request_id("gem-tools")
    completion = client.chat.completions.create(
        model="gem-tools", messages=user("weather in Paris?"), tools=[WEATHER_TOOL], tool_choice="required",
        extra_headers={"x-request-id": rid})
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert call.id == "call_0"
    body = sent(mock, rid, model="mock-tools")
    # additionalProperties is a key Gemini's Schema refuses: left out; type names in Gemini's spelling.
    assert body["tools"] == [{"functionDeclarations": [{
        "name": "get_weather", "description": "Weather of a city",
        "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]}}]}]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}


@pytest.mark.parametrize("choice, expected", [
    ("auto", {"mode": "AUTO"}), ("none", {"mode": "NONE"}),
    ({"type": "function", "function": {"name": "get_weather"}}, {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}),
])
def test_tool_choice_mapping(client, mock, choice, expected):
    rid = request_id("gem-choice")
    client.chat.completions.create(model="gem", messages=user("x"), tools=[WEATHER_TOOL], tool_choice=choice,
                                   extra_headers={"x-request-id": rid})
    assert sent(mock, rid)["toolConfig"] == {"functionCallingConfig": expected}


def test_tool_call_stream(client, mock):
    rid = request_id("gem-tools-stream")
    stream = client.chat.completions.create(model="gem-tools", messages=user("weather?"), tools=[WEATHER_TOOL],
                                            stream=True, extra_headers={"x-request-id": rid})
    text, tools, finish, _ = collect(stream)
    assert text == "" and finish == "tool_calls"
    assert list(tools) == [0]
    assert tools[0]["name"] == "get_weather" and tools[0]["id"] == "call_0"
    assert json.loads(tools[0]["arguments"]) == {"city": "Paris"}
    sent(mock, rid, model="mock-tools", method="streamGenerateContent")


def test_tool_loop(client, mock):
    first = client.chat.completions.create(model="gem-tools", messages=user("weather?"), tools=[WEATHER_TOOL])
    call = first.choices[0].message.tool_calls[0]
    rid = request_id("gem-loop")
    second = client.chat.completions.create(model="gem-tools", tools=[WEATHER_TOOL],
                                            extra_headers={"x-request-id": rid}, messages=[
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call.id, "type": "function",
             "function": {"name": call.function.name, "arguments": call.function.arguments}}]},
        {"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"}])
    assert second.choices[0].message.content == 'echo: {"content":"18C and sunny"}'
    assert second.choices[0].finish_reason == "stop"
    contents = sent(mock, rid, model="mock-tools")["contents"]
    assert contents[1] == {"role": "model", "parts": [
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]}
    assert contents[2] == {"role": "user", "parts": [
        {"functionResponse": {"name": "get_weather", "response": {"content": "18C and sunny"}}}]}


# ------------------------------------------------------------------------------------------- errors

def test_429_is_a_rate_limit_error(client):
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gem-429", messages=user("x"))
    assert caught.value.status_code == 429
    assert caught.value.type == "rate_limit_error"


def test_400_is_a_bad_request_with_googles_message(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gem-400", messages=user("x"))
    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"
    assert "generation_config.temperature" in caught.value.message


@pytest.mark.parametrize("model", ["gem-500", "gem-503"])
def test_5xx_become_502(client, gw, model):
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model=model, messages=user("x"))
    assert caught.value.status_code == 502
    assert caught.value.type == "upstream_error"
    response = gw.chat("x", model=model, stream=True)
    assert_openai_error(response, 502, type_="upstream_error")


def test_a_refused_key_is_502_upstream_auth_failed(client):
    """Google refuses a wrong key with 400 (reason API_KEY_INVALID): that is the gateway's key failing, not the
    client's request, so the client gets 502 upstream_auth_failed as for any provider refusing the key."""
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="gem-bad-key", messages=user("x"))
    assert caught.value.status_code == 502
    assert caught.value.code == "upstream_auth_failed", caught.value.body
    assert "API_KEY_INVALID" not in caught.value.response.text


def test_untranslatable_request_is_400_before_the_upstream(client, mock):
    cases = [({"logit_bias": {"50256": -100}}, "logit_bias"), ({"logprobs": True}, "logprobs"),
             ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {
                 "allOf": [{"type": "object"}]}}}}, "response_format.json_schema.schema.allOf")]
    for fields, param in cases:
        rid = request_id("gem-refused")
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(model="gem", messages=user("x"), extra_headers={"x-request-id": rid},
                                           **fields)
        assert caught.value.param == param, fields
        assert "gemini" in caught.value.message.lower()
        assert mock.requests_with_id(rid) == []


def test_invalid_tool_arguments_are_400(client, mock):
    rid = request_id("gem-badargs")
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gem", extra_headers={"x-request-id": rid}, messages=[
            {"role": "user", "content": "x"},
            {"role": "assistant", "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "r"}])
    assert caught.value.param == "messages[1].tool_calls[0].function.arguments"
    assert mock.requests_with_id(rid) == []


def test_responses_api_is_refused_for_gemini(gw, mock):
    rid = request_id("gem-responses")
    response = gw.http.post("/v1/responses", json={"model": "gem", "input": "x"}, headers={"x-request-id": rid})
    assert_openai_error(response, 400)
    assert mock.requests_with_id(rid) == []


# ------------------------------------------------------------------------------------------- policies

def test_request_redaction_reaches_gemini(client, mock):
    rid = request_id("gem-redact")
    completion = client.chat.completions.create(
        model="gem", messages=user("my code is SECRET-1234"), extra_headers={"x-request-id": rid})
    assert completion.choices[0].message.content == "echo: my code is [REDACTED]"
    assert sent(mock, rid)["contents"][0]["parts"] == [{"text": "my code is [REDACTED]"}]
    assert "SECRET-" not in mock.one_request(rid)["body"]


def test_request_redaction_with_streamed_answer(client, mock):
    rid = request_id("gem-redact-stream")
    stream = client.chat.completions.create(model="gem", messages=user("codes SECRET-1 and SECRET-22"),
                                            stream=True, extra_headers={"x-request-id": rid})
    assert collect(stream)[0] == "echo: codes [REDACTED] and [REDACTED]"
    assert "SECRET-" not in mock.one_request(rid)["body"]


# The mock answers REVEAL-<n> as SECRET-<n>: a secret only the answer carries, so only the response / stream-chunk
# hooks (running after the translation back to OpenAI's shape) stand between it and the client.
def test_answer_redaction_json(client, mock):
    rid = request_id("gem-redact-answer")
    completion = client.chat.completions.create(model="gem", messages=user("leaked REVEAL-4242"),
                                                extra_headers={"x-request-id": rid})
    assert "REVEAL-4242" in mock.one_request(rid)["body"], "precondition: the request was not altered"
    assert completion.choices[0].message.content == "echo: leaked [REDACTED]"


def test_answer_redaction_stream(client, mock):
    rid = request_id("gem-redact-answer-stream")
    stream = client.chat.completions.create(model="gem", messages=user("leaked REVEAL-4242 here"), stream=True,
                                            extra_headers={"x-request-id": rid})
    assert "REVEAL-4242" in mock.one_request(rid)["body"]
    assert collect(stream)[0] == "echo: leaked [REDACTED] here"


def test_blocked_words_never_reach_gemini(client, mock):
    for stream in (False, True):
        rid = request_id("gem-block")
        with pytest.raises(openai.ConflictError) as caught:
            client.chat.completions.create(model="gem", messages=user("tell me the forbidden thing"),
                                           stream=stream, extra_headers={"x-request-id": rid})
        assert caught.value.status_code == 409
        assert caught.value.type == "policy_violation"
        assert mock.requests_with_id(rid) == []


# ------------------------------------------------------------------------------------------- embeddings

def as_float32(values: list[float]) -> list[float]:
    return [struct.unpack("<f", struct.pack("<f", v))[0] for v in values]


def close(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) < 1e-6 for x, y in zip(a, b))


def test_embeddings_through_the_chain(client, mock):
    """The SDK asks for base64 by default: the gateway encodes Gemini's floats as little-endian float32."""
    rid = request_id("gem-embed")
    result = client.embeddings.create(model="gem-embed", input=["a", "b"], extra_headers={"x-request-id": rid})
    assert result.object == "list" and result.model
    assert [item.index for item in result.data] == [0, 1]
    assert close(result.data[0].embedding, as_float32(gemini_wire.vector("a")))
    assert close(result.data[1].embedding, as_float32(gemini_wire.vector("b")))
    assert result.usage.prompt_tokens > 0 and result.usage.total_tokens == result.usage.prompt_tokens
    body = sent(mock, rid, model=EMBED_MODEL, method="batchEmbedContents")
    assert body == {"requests": [
        {"model": f"models/{EMBED_MODEL}", "content": {"parts": [{"text": "a"}]}},
        {"model": f"models/{EMBED_MODEL}", "content": {"parts": [{"text": "b"}]}}]}


def test_embeddings_floats_dimensions_and_redaction(gw, mock):
    rid = request_id("gem-embed-redact")
    response = gw.http.post("/v1/embeddings", headers={"x-request-id": rid}, json={
        "model": "gem-embed", "input": ["call SECRET-1234 now", "plain"], "encoding_format": "float",
        "dimensions": 4})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data[0]["embedding"] == gemini_wire.vector("call [REDACTED] now", 4)  # floats as Gemini sent them
    assert data[1]["embedding"] == gemini_wire.vector("plain", 4)
    body = sent(mock, rid, model=EMBED_MODEL, method="batchEmbedContents")
    assert [r["content"]["parts"][0]["text"] for r in body["requests"]] == ["call [REDACTED] now", "plain"]
    assert {r["outputDimensionality"] for r in body["requests"]} == {4}
    assert "SECRET-" not in mock.one_request(rid)["body"]


def test_embeddings_base64_on_the_wire(gw):
    response = gw.http.post("/v1/embeddings", json={"model": "gem-embed", "input": "hello",
                                                    "encoding_format": "base64"})
    assert response.status_code == 200, response.text
    raw = base64.b64decode(response.json()["data"][0]["embedding"])
    assert close(list(struct.unpack("<8f", raw)), as_float32(gemini_wire.vector("hello")))


def test_embeddings_token_ids_and_blocked_words_are_refused_before_gemini(gw, mock):
    rid = request_id("gem-embed-ids")
    response = gw.http.post("/v1/embeddings", headers={"x-request-id": rid},
                            json={"model": "gem-embed", "input": [[1, 2, 3]]})
    assert_openai_error(response, 400)
    assert mock.requests_with_id(rid) == []
    rid = request_id("gem-embed-block")
    response = gw.http.post("/v1/embeddings", headers={"x-request-id": rid},
                            json={"model": "gem-embed", "input": ["fine", "a forbidden word"]})
    assert_openai_error(response, 409, type_="policy_violation")
    assert mock.requests_with_id(rid) == []
