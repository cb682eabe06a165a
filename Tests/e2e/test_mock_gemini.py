"""The mock upstream's Gemini dialect (Tests/mock_upstream/gemini_wire.py) checked against Google's official
`google-genai` SDK: if the SDK parses its answers, reassembles its streams and raises the right errors, the mock
speaks Gemini's wire format, and the gateway's Gemini translator is tested against something real.

Needs no gateway: the SDK talks to the mock directly (the session's `mock` fixture).
"""

from __future__ import annotations

import json
import sys

import httpx
import pytest
from google import genai
from google.genai import errors, types

from e2e_support import HTTP_TIMEOUT, REPO

sys.path.insert(0, str(REPO / "Tests" / "mock_upstream"))
import gemini_wire  # noqa: E402  (the mock's own vector function: the expected embeddings)

MOCK_KEY = "gemini-mock-key-0123"


@pytest.fixture
def gclient(mock):
    client = genai.Client(api_key=MOCK_KEY, http_options=http_options(mock))
    yield client
    client.close()


def http_options(mock) -> types.HttpOptions:
    # v1beta as the gateway uses (the SDK picks v1 for a custom base URL).
    return types.HttpOptions(base_url=mock.base, api_version="v1beta", timeout=int(HTTP_TIMEOUT * 1000))


def last_request(mock, suffix: str) -> dict:
    seen = [r for r in mock.requests() if r["path"].endswith(suffix)]
    assert seen, f"the mock saw no request ending in {suffix}"
    return seen[-1]


WEATHER_TOOL = types.Tool(function_declarations=[types.FunctionDeclaration(
    name="get_weather", description="Weather of a city",
    parameters=types.Schema(type=types.Type.OBJECT, properties={"city": types.Schema(type=types.Type.STRING)},
                            required=["city"]))])
NO_AUTO_CALLS = types.AutomaticFunctionCallingConfig(disable=True)


def test_generate_content_json(gclient, mock):
    response = gclient.models.generate_content(
        model="gemini-2.0-flash", contents="hello gemini world",
        config=types.GenerateContentConfig(system_instruction="Be brief.", temperature=0.5))
    assert response.text == "echo: hello gemini world"
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.usage_metadata.prompt_token_count == 5  # 3 words + the system instruction's 2
    assert response.usage_metadata.candidates_token_count == 4
    assert response.usage_metadata.total_token_count == 9
    assert response.model_version == gemini_wire.MOCK_MODEL_VERSION
    seen = last_request(mock, "/models/gemini-2.0-flash:generateContent")
    assert seen["path"] == "/v1beta/models/gemini-2.0-flash:generateContent"
    assert seen["headers"]["x-goog-api-key"] == MOCK_KEY
    body = json.loads(seen["body"])
    assert body["systemInstruction"]["parts"] == [{"text": "Be brief."}]
    assert body["contents"] == [{"role": "user", "parts": [{"text": "hello gemini world"}]}]
    assert body["generationConfig"]["temperature"] == 0.5


def test_stream_reassembles(gclient, mock):
    chunks = list(gclient.models.generate_content_stream(model="gemini-2.0-flash", contents="one two three four"))
    assert len(chunks) == 5  # one event per word of "echo: one two three four"
    assert "".join(c.text or "" for c in chunks) == "echo: one two three four"
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert all(c.candidates[0].finish_reason is None for c in chunks[:-1])
    assert chunks[-1].usage_metadata.candidates_token_count == 5
    seen = last_request(mock, ":streamGenerateContent")
    assert seen["query"] == "alt=sse"


def test_function_call_json_and_stream(gclient):
    config = types.GenerateContentConfig(tools=[WEATHER_TOOL], automatic_function_calling=NO_AUTO_CALLS)
    response = gclient.models.generate_content(model="mock-tools", contents="weather in Paris?", config=config)
    call = response.function_calls[0]
    assert (call.name, call.args) == ("get_weather", {"city": "Paris"})
    streamed = [p.function_call for c in gclient.models.generate_content_stream(
        model="mock-tools", contents="weather?", config=config)
        for p in c.candidates[0].content.parts if p.function_call]
    assert [(c.name, c.args) for c in streamed] == [("get_weather", {"city": "Paris"})]
    # The tool's result in the next turn: the mock answers with text, echoing the function response.
    follow_up = gclient.models.generate_content(model="mock-tools", config=config, contents=[
        types.Content(role="user", parts=[types.Part.from_text(text="weather in Paris?")]),
        types.Content(role="model", parts=[types.Part(function_call=call)]),
        types.Content(role="user", parts=[types.Part.from_function_response(
            name="get_weather", response={"content": {"temp": 21}})]),
    ])
    assert follow_up.text == 'echo: {"content":{"temp":21}}'


def test_images_candidates_and_limits(gclient, mock):
    response = gclient.models.generate_content(model="gemini-2.0-flash", contents=[
        types.Part.from_bytes(data=b"\x89PNG fake", mime_type="image/png"),
        types.Part.from_uri(file_uri="https://example.com/cat.jpg", mime_type="image/jpeg"),
        "what are these"])
    assert response.text == "echo: what are these [image] [image]"
    parts = json.loads(last_request(mock, ":generateContent")["body"])["contents"][0]["parts"]
    # Google's JSON parser takes camelCase and snake_case field names; the SDK mixes them (mime_type here).
    inline, file = parts[0]["inlineData"], parts[1]["fileData"]
    assert inline.get("mimeType", inline.get("mime_type")) == "image/png"
    assert file.get("fileUri", file.get("file_uri")) == "https://example.com/cat.jpg"

    two = gclient.models.generate_content(model="gemini-2.0-flash", contents="hi",
                                          config=types.GenerateContentConfig(candidate_count=2))
    assert [c.content.parts[0].text for c in two.candidates] == ["echo: hi", "echo: hi"]
    cut = gclient.models.generate_content(model="gemini-2.0-flash", contents="a b c d e",
                                          config=types.GenerateContentConfig(max_output_tokens=3))
    assert cut.text == "echo: a b"
    assert cut.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    stopped = gclient.models.generate_content(model="gemini-2.0-flash", contents="a b STOP c",
                                              config=types.GenerateContentConfig(stop_sequences=["STOP"]))
    assert stopped.text == "echo: a b "
    blocked = gclient.models.generate_content(model="mock-blocked", contents="bad")
    assert blocked.prompt_feedback.block_reason == types.BlockedReason.SAFETY
    assert not blocked.candidates


def test_embed_content(gclient, mock):
    result = gclient.models.embed_content(model="text-embedding-004", contents=["alpha", "beta"])
    assert [e.values for e in result.embeddings] == [gemini_wire.vector("alpha"), gemini_wire.vector("beta")]
    assert len(result.embeddings[0].values) == 8
    body = json.loads(last_request(mock, ":batchEmbedContents")["body"])
    assert [r["model"] for r in body["requests"]] == ["models/text-embedding-004"] * 2
    short = gclient.models.embed_content(model="text-embedding-004", contents="alpha",
                                         config=types.EmbedContentConfig(output_dimensionality=4))
    assert short.embeddings[0].values == gemini_wire.vector("alpha", 4)


@pytest.mark.parametrize("model, error_class, code, status", [
    ("mock-429", errors.ClientError, 429, "RESOURCE_EXHAUSTED"),
    ("mock-400", errors.ClientError, 400, "INVALID_ARGUMENT"),
    ("mock-404", errors.ClientError, 404, "NOT_FOUND"),
    ("mock-500", errors.ServerError, 500, "INTERNAL"),
    ("mock-503", errors.ServerError, 503, "UNAVAILABLE"),
])
def test_errors_raise_the_sdk_classes(gclient, model, error_class, code, status):
    with pytest.raises(error_class) as raised:
        gclient.models.generate_content(model=model, contents="hi")
    assert (raised.value.code, raised.value.status) == (code, status)
    with pytest.raises(error_class) as streamed:
        list(gclient.models.generate_content_stream(model=model, contents="hi"))
    assert streamed.value.code == code


def test_key_errors(mock):
    bad = genai.Client(api_key=gemini_wire.INVALID_KEY, http_options=http_options(mock))
    with pytest.raises(errors.ClientError) as raised:
        bad.models.generate_content(model="gemini-2.0-flash", contents="hi")
    assert (raised.value.code, raised.value.status) == (400, "INVALID_ARGUMENT")
    assert raised.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    bad.close()
    # No key at all (the SDK insists on one, so raw HTTP): 403 as Google answers.
    response = httpx.post(f"{mock.base}/v1beta/models/gemini-2.0-flash:generateContent", trust_env=False,
                          json={"contents": [{"parts": [{"text": "hi"}]}]}, timeout=HTTP_TIMEOUT)
    assert response.status_code == 403
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"


def test_429_carries_retry_after(mock):
    response = httpx.post(f"{mock.base}/v1beta/models/mock-429:generateContent", trust_env=False,
                          headers={"x-goog-api-key": MOCK_KEY}, json={"contents": [{"parts": [{"text": "hi"}]}]},
                          timeout=HTTP_TIMEOUT)
    assert response.status_code == 429 and response.headers["retry-after"] == "1"


def test_broken_streams_raise(gclient):
    with pytest.raises(errors.ServerError) as raised:
        list(gclient.models.generate_content_stream(model="mock-error-event", contents="a b c"))
    assert raised.value.code == 503
    with pytest.raises(Exception):
        chunks = list(gclient.models.generate_content_stream(model="mock-cut", contents="a b c d e f"))
        # Should the SDK take the cut quietly, the stream must at least lack its finish reason.
        assert chunks[-1].candidates[0].finish_reason is not None
