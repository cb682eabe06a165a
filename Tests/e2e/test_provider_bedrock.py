"""AWS Bedrock targets behind the OpenAI API: the official `openai` SDK talks to the gateway, the gateway signs
(SigV4) and sends Converse / ConverseStream requests to the mock upstream (Tests/mock_upstream/bedrock_wire.py),
which recomputes every signature with botocore and answers JSON or AWS's binary event stream. Both sides are
checked: what the client gets (chat JSON, streams, tools, images, usage, errors) and what the mock received
(GET /__mock/requests: the path with the model id encoded, the SigV4 headers, `system`, messages, `inferenceConfig`,
`toolConfig`). The main config's policies run too: redaction (request and answer, JSON and stream) and the keyword
block work on a Bedrock target unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os

import openai
import pytest

from conftest import _start, _stop
from e2e_support import assert_openai_error, main_config, make_client, parse_sse, request_id

# The mock's test credentials (bedrock_wire.ACCESS_KEY / SECRET_KEY): it verifies signatures made with them.
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLE-session-token"
MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
MODEL_IN_PATH = "anthropic.claude-3-5-sonnet-20240620-v1%3A0"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG_BYTES).decode()
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


def bedrock_target(target_id: str, model: str, base: str, **extra) -> dict:
    target = {"id": target_id, "provider": "bedrock", "model": model, "region": "us-east-1", "base_url": base}
    target.update(extra)
    return target


def bedrock_config(mock, plugins, dead_port, targets) -> dict:
    config = main_config(mock.port, dead_port, plugins)
    config["providers"] = {"strategy": "single", "targets": targets}
    return config


def aws_env(secret: str = SECRET_KEY, token: str | None = None) -> dict:
    env = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": secret}
    if token:
        env["AWS_SESSION_TOKEN"] = token
    return env


@pytest.fixture(scope="module")
def gw(mock, plugins, dead_port):
    """The main config's policies (block-words, redact) with Bedrock targets only, asked for by id."""
    targets = [
        bedrock_target("br", MODEL, mock.base),
        bedrock_target("br-tools", "mock-tools", mock.base),
        bedrock_target("br-429", "mock-429", mock.base),
        bedrock_target("br-400", "mock-400", mock.base),
        bedrock_target("br-500", "mock-500", mock.base),
        bedrock_target("br-503", "mock-503", mock.base),
        bedrock_target("br-cut", "mock-cut", mock.base),
        bedrock_target("br-stream-error", "mock-stream-error", mock.base),
    ]
    gateway = _start(bedrock_config(mock, plugins, dead_port, targets), plugins, env=aws_env())
    yield gateway
    _stop(gateway)


@pytest.fixture(scope="module")
def client(gw):
    c = make_client(gw)
    yield c
    c.close()


def user(text):
    return [{"role": "user", "content": text}]


def sent(mock, rid, operation="converse", model_in_path=MODEL_IN_PATH) -> dict:
    """The Converse request the mock received for `rid` (exactly one), checked for its path and SigV4 headers (the
    mock answered, so botocore found the signature right)."""
    seen = mock.one_request(rid)
    assert seen["method"] == "POST"
    assert seen["path"] == f"/model/{model_in_path}/{operation}", seen["path"]
    headers = seen["headers"]
    assert headers["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/")
    assert "/us-east-1/bedrock/aws4_request, SignedHeaders=" in headers["authorization"]
    assert headers["x-amz-content-sha256"] == hashlib.sha256(seen["body"].encode()).hexdigest()
    assert len(headers["x-amz-date"]) == 16 and headers["x-amz-date"].endswith("Z")
    assert SECRET_KEY not in json.dumps(seen), "the secret key never travels"
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
    rid = request_id("br-json")
    raw = client.chat.completions.with_raw_response.create(
        model="br", messages=user("hello there"), extra_headers={"x-request-id": rid})
    completion = raw.parse()
    assert raw.headers.get("x-gatewayhost-target") == "br"
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == "echo: hello there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.tool_calls is None
    body = sent(mock, rid)
    # The model is in the path only; nothing the client did not set is imposed (Converse needs no maxTokens).
    assert body == {"messages": [{"role": "user", "content": [{"text": "hello there"}]}]}
    if "AWS_SESSION_TOKEN" not in os.environ:
        assert "x-amz-security-token" not in mock.one_request(rid)["headers"]


def test_usage_json(client):
    completion = client.chat.completions.create(
        model="br", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "a b c"}])
    # The mock counts words: prompt = "be brief" + "a b c", completion = "echo: a b c".
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens, completion.usage.total_tokens) \
        == (5, 4, 9)


def test_system_and_developer_messages_become_system_blocks(client, mock):
    rid = request_id("br-system")
    completion = client.chat.completions.create(
        model="br", extra_headers={"x-request-id": rid},
        messages=[{"role": "system", "content": "You are terse."}, {"role": "developer", "content": "Use French."},
                  {"role": "user", "content": "bonjour"}])
    assert completion.choices[0].message.content == "echo: bonjour"
    body = sent(mock, rid)
    assert body["system"] == [{"text": "You are terse."}, {"text": "Use French."}]
    assert body["messages"] == [{"role": "user", "content": [{"text": "bonjour"}]}]


def test_sampling_stop_and_max_tokens_become_inference_config(client, mock):
    rid = request_id("br-params")
    completion = client.chat.completions.create(
        model="br", messages=user("one two STOP three"), stop=["STOP", "NEVER"], temperature=0.3, top_p=0.8,
        user="user-42", max_tokens=50, extra_headers={"x-request-id": rid})
    assert completion.choices[0].message.content == "echo: one two "
    assert completion.choices[0].finish_reason == "stop"
    body = sent(mock, rid)
    assert body["inferenceConfig"] == {"maxTokens": 50, "temperature": 0.3, "topP": 0.8,
                                       "stopSequences": ["STOP", "NEVER"]}
    assert "user-42" not in json.dumps(body), "Converse has no end-user field: `user` is not forwarded"


def test_small_max_tokens_finishes_with_length(client):
    completion = client.chat.completions.create(model="br", messages=user("one two three four"),
                                                max_completion_tokens=2)
    assert completion.choices[0].message.content == "echo: one"
    assert completion.choices[0].finish_reason == "length"


def test_image_data_url_arrives_as_bytes(client, mock):
    rid = request_id("br-image")
    completion = client.chat.completions.create(model="br", extra_headers={"x-request-id": rid}, messages=[
        {"role": "user", "content": [
            {"type": "text", "text": "what is this"},
            {"type": "image_url", "image_url": {"url": PNG_URL, "detail": "low"}}]}])
    assert completion.choices[0].message.content == "echo: what is this [image]"
    content = sent(mock, rid)["messages"][0]["content"]
    assert content == [{"text": "what is this"},
                       {"image": {"format": "png", "source": {"bytes": PNG_URL.split(",", 1)[1]}}}]


def test_image_http_url_is_400_before_the_upstream(client, mock):
    rid = request_id("br-image-url")
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="br", extra_headers={"x-request-id": rid}, messages=[
            {"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}]}])
    assert caught.value.param == "messages[0].content[0].image_url.url"
    assert "data URL" in caught.value.message
    assert mock.requests_with_id(rid) == []


# ------------------------------------------------------------------------------------------- streams

def test_stream_reassembles_the_echo(client, mock):
    rid = request_id("br-stream")
    stream = client.chat.completions.create(model="br", messages=user("streamed words come back"), stream=True,
                                            extra_headers={"x-request-id": rid})
    text, tools, finish, chunks = collect(stream)
    assert text == "echo: streamed words come back"
    assert tools == {} and finish == "stop"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert len({chunk.id for chunk in chunks}) == 1
    body = sent(mock, rid, operation="converse-stream")
    assert "stream" not in body, "the endpoint says it: the body is the same as for converse"


def test_stream_on_the_wire_is_sse_ending_with_done(gw):
    with gw.http.stream("POST", "/v1/chat/completions", json={
            "model": "br", "messages": user("a b"), "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(response.read().decode())
    assert events[-1]["data"] == "[DONE]"
    assert all(e["event"] is None for e in events), "only OpenAI-style data events reach the client"
    chunks = [json.loads(e["data"]) for e in events[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == "echo: a b"


def test_stream_usage_with_include_usage(client):
    stream = client.chat.completions.create(
        model="br", messages=user("a b c"), stream=True, stream_options={"include_usage": True})
    text, _, finish, chunks = collect(stream)
    assert text == "echo: a b c" and finish == "stop"
    last = chunks[-1]
    assert last.choices == []
    assert (last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens) == (3, 4, 7)
    assert all(chunk.usage is None for chunk in chunks[:-1])


def test_stream_without_include_usage_has_no_usage_chunk(client):
    _, _, _, chunks = collect(client.chat.completions.create(model="br", messages=user("a"), stream=True))
    assert all(chunk.choices for chunk in chunks)


@pytest.mark.parametrize("model", ["br-cut", "br-stream-error"])
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
    rid = request_id("br-tools")
    completion = client.chat.completions.create(
        model="br-tools", messages=user("weather in Paris?"), tools=[WEATHER_TOOL], tool_choice="required",
        extra_headers={"x-request-id": rid})
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert call.id.startswith("tooluse_")
    body = sent(mock, rid, model_in_path="mock-tools")
    assert body["toolConfig"] == {
        "tools": [{"toolSpec": {"name": "get_weather", "description": "Weather of a city",
                                "inputSchema": {"json": WEATHER_TOOL["function"]["parameters"]}}}],
        "toolChoice": {"any": {}}}


@pytest.mark.parametrize("choice, expected", [
    ("auto", {"auto": {}}),
    ({"type": "function", "function": {"name": "get_weather"}}, {"tool": {"name": "get_weather"}}),
])
def test_tool_choice_mapping(client, mock, choice, expected):
    rid = request_id("br-choice")
    client.chat.completions.create(model="br", messages=user("x"), tools=[WEATHER_TOOL], tool_choice=choice,
                                   extra_headers={"x-request-id": rid})
    assert sent(mock, rid)["toolConfig"]["toolChoice"] == expected


def test_tool_choice_none_sends_no_tools(client, mock):
    rid = request_id("br-choice-none")
    completion = client.chat.completions.create(model="br", messages=user("x"), tools=[WEATHER_TOOL],
                                                tool_choice="none", extra_headers={"x-request-id": rid})
    assert completion.choices[0].message.content == "echo: x"
    assert "toolConfig" not in sent(mock, rid)


def test_tool_call_stream(client):
    stream = client.chat.completions.create(model="br-tools", messages=user("weather?"), tools=[WEATHER_TOOL],
                                            stream=True, stream_options={"include_usage": True})
    text, tools, finish, chunks = collect(stream)
    assert text == "" and finish == "tool_calls"
    assert list(tools) == [0]
    assert tools[0]["name"] == "get_weather" and tools[0]["id"].startswith("tooluse_")
    assert json.loads(tools[0]["arguments"]) == {"city": "Paris"}
    assert chunks[-1].usage.completion_tokens == 2  # the mock counts the words of the input's JSON


def test_tool_loop(client, mock):
    first = client.chat.completions.create(model="br-tools", messages=user("weather?"), tools=[WEATHER_TOOL])
    call = first.choices[0].message.tool_calls[0]
    rid = request_id("br-loop")
    second = client.chat.completions.create(model="br-tools", tools=[WEATHER_TOOL],
                                            extra_headers={"x-request-id": rid}, messages=[
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call.id, "type": "function",
             "function": {"name": call.function.name, "arguments": call.function.arguments}}]},
        {"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"}])
    assert second.choices[0].message.content == "echo: 18C and sunny"
    assert second.choices[0].finish_reason == "stop"
    messages = sent(mock, rid, model_in_path="mock-tools")["messages"]
    assert messages[1] == {"role": "assistant", "content": [
        {"toolUse": {"toolUseId": call.id, "name": "get_weather", "input": {"city": "Paris"}}}]}
    assert messages[2] == {"role": "user", "content": [
        {"toolResult": {"toolUseId": call.id, "content": [{"text": "18C and sunny"}]}}]}


# ------------------------------------------------------------------------------------------- errors

def test_429_is_a_rate_limit_error(client):
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="br-429", messages=user("x"))
    assert caught.value.status_code == 429
    assert caught.value.type == "rate_limit_error"


def test_400_is_a_bad_request_with_bedrocks_message(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="br-400", messages=user("x"))
    assert caught.value.status_code == 400
    assert caught.value.type == "invalid_request_error"
    assert "bad thing" in caught.value.message


@pytest.mark.parametrize("model", ["br-500", "br-503"])
def test_5xx_become_502(client, gw, model):
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model=model, messages=user("x"))
    assert caught.value.status_code == 502
    assert caught.value.type == "upstream_error"
    response = gw.chat("x", model=model, stream=True)
    assert_openai_error(response, 502, type_="upstream_error")


def test_untranslatable_request_is_400_before_the_upstream(client, mock):
    cases = [({"n": 2}, "n"), ({"logprobs": True}, "logprobs"),
             ({"response_format": {"type": "json_object"}}, "response_format")]
    for fields, param in cases:
        rid = request_id("br-refused")
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(model="br", messages=user("x"), extra_headers={"x-request-id": rid},
                                           **fields)
        assert caught.value.param == param, fields
        assert "bedrock" in caught.value.message.lower()
        assert mock.requests_with_id(rid) == []


def test_responses_api_is_refused_for_bedrock(gw, mock):
    rid = request_id("br-responses")
    response = gw.http.post("/v1/responses", json={"model": "br", "input": "x"}, headers={"x-request-id": rid})
    assert_openai_error(response, 400)
    assert mock.requests_with_id(rid) == []


# ------------------------------------------------------------------------------------------- credentials

def test_session_token_is_sent_and_signed(mock, plugins, dead_port):
    gateway = _start(bedrock_config(mock, plugins, dead_port, [bedrock_target("br", MODEL, mock.base)]), plugins,
                     env=aws_env(token=SESSION_TOKEN))
    try:
        client = make_client(gateway)
        for stream in (False, True):
            rid = request_id("br-token")
            if stream:
                text = collect(client.chat.completions.create(
                    model="br", messages=user("hi"), stream=True, extra_headers={"x-request-id": rid}))[0]
            else:
                text = client.chat.completions.create(
                    model="br", messages=user("hi"), extra_headers={"x-request-id": rid}).choices[0].message.content
            assert text == "echo: hi"
            sent(mock, rid, operation="converse-stream" if stream else "converse")
            headers = mock.one_request(rid)["headers"]
            assert headers["x-amz-security-token"] == SESSION_TOKEN
            assert "x-amz-security-token" in headers["authorization"].split("SignedHeaders=")[1].split(",")[0]
        client.close()
    finally:
        _stop(gateway)


def test_wrong_secret_is_502_upstream_auth_failed(mock, plugins, dead_port):
    """The mock refuses the signature (403 InvalidSignatureException): the gateway's credentials failing, not the
    client's request."""
    gateway = _start(bedrock_config(mock, plugins, dead_port, [bedrock_target("br", MODEL, mock.base)]), plugins,
                     env=aws_env(secret="not-the-secret"))
    try:
        client = make_client(gateway)
        with pytest.raises(openai.InternalServerError) as caught:
            client.chat.completions.create(model="br", messages=user("x"))
        assert caught.value.status_code == 502
        assert caught.value.code == "upstream_auth_failed", caught.value.body
        assert "InvalidSignature" not in caught.value.response.text
        client.close()
    finally:
        _stop(gateway)


# ------------------------------------------------------------------------------------------- policies

def test_request_redaction_reaches_bedrock(client, mock):
    rid = request_id("br-redact")
    completion = client.chat.completions.create(
        model="br", messages=user("my code is SECRET-1234"), extra_headers={"x-request-id": rid})
    assert completion.choices[0].message.content == "echo: my code is [REDACTED]"
    body = sent(mock, rid)
    assert body["messages"][0]["content"] == [{"text": "my code is [REDACTED]"}]
    assert "SECRET-" not in mock.one_request(rid)["body"]


def test_request_redaction_with_streamed_answer(client, mock):
    rid = request_id("br-redact-stream")
    stream = client.chat.completions.create(model="br", messages=user("codes SECRET-1 and SECRET-22"),
                                            stream=True, extra_headers={"x-request-id": rid})
    assert collect(stream)[0] == "echo: codes [REDACTED] and [REDACTED]"
    assert "SECRET-" not in mock.one_request(rid)["body"]


# The mock answers REVEAL-<n> as SECRET-<n>: a secret only the answer carries, so only the response / stream-chunk
# hooks (running after the translation back to OpenAI's shape) stand between it and the client.
def test_answer_redaction_json(client, mock):
    rid = request_id("br-redact-answer")
    completion = client.chat.completions.create(model="br", messages=user("leaked REVEAL-4242"),
                                                extra_headers={"x-request-id": rid})
    assert "REVEAL-4242" in mock.one_request(rid)["body"], "precondition: the request was not altered"
    assert completion.choices[0].message.content == "echo: leaked [REDACTED]"


def test_answer_redaction_stream(client, mock):
    rid = request_id("br-redact-answer-stream")
    stream = client.chat.completions.create(model="br", messages=user("leaked REVEAL-4242 here"), stream=True,
                                            extra_headers={"x-request-id": rid})
    assert "REVEAL-4242" in mock.one_request(rid)["body"]
    assert collect(stream)[0] == "echo: leaked [REDACTED] here"


def test_blocked_words_never_reach_bedrock(client, mock):
    for stream in (False, True):
        rid = request_id("br-block")
        with pytest.raises(openai.ConflictError) as caught:
            client.chat.completions.create(model="br", messages=user("tell me the forbidden thing"),
                                           stream=stream, extra_headers={"x-request-id": rid})
        assert caught.value.status_code == 409
        assert caught.value.type == "policy_violation"
        assert mock.requests_with_id(rid) == []
