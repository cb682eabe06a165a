"""The happy paths through the official `openai` SDK: Chat Completions and Responses, JSON and streamed,
against the mock upstream and the built-in echo provider."""

import json

from openai.types.responses import ResponseCompletedEvent, ResponseCreatedEvent, ResponseTextDeltaEvent

from e2e_support import request_id


def test_chat_completion(client, mock):
    rid = request_id("chat")
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello gateway"}],
        extra_headers={"x-request-id": rid})
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == "echo: hello gateway"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens > 0
    seen = mock.one_request(rid)
    assert seen["method"] == "POST" and seen["path"] == "/v1/chat/completions"
    body = json.loads(seen["body"])
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"] == [{"role": "user", "content": "hello gateway"}]


def test_chat_stream_reassembles_the_reply(client, mock):
    rid = request_id("chat-stream")
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "stream me three words"}], stream=True,
        extra_headers={"x-request-id": rid})
    chunks = list(stream)
    assert chunks, "no chunk arrived"
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == "echo: stream me three words"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert json.loads(mock.one_request(rid)["body"])["stream"] is True


def test_chat_stream_with_usage(client):
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "count my tokens"}], stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == len("echo: count my tokens".split())


def test_chat_long_stream_keeps_every_event(client):
    stream = client.chat.completions.create(
        model="mock-long", messages=[{"role": "user", "content": "many"}], stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "".join(" tok%d" % i for i in range(200))


def test_big_json_reply_is_relayed_intact(client):
    completion = client.chat.completions.create(model="mock-big", messages=[{"role": "user", "content": "big"}])
    content = completion.choices[0].message.content
    assert content.startswith("echo: big ")
    assert len(content) == len("echo: big ") + 2 * 1024 * 1024 + 1024
    assert set(content[len("echo: big "):]) == {"x"}


def test_responses_create(client, mock):
    rid = request_id("responses")
    response = client.responses.create(model="gpt-4o-mini", input="what is up", extra_headers={"x-request-id": rid})
    assert response.object == "response"
    assert response.status == "completed"
    assert response.output_text == "echo: what is up"
    seen = mock.one_request(rid)
    assert seen["path"] == "/v1/responses"
    assert json.loads(seen["body"])["input"] == "what is up"


def test_responses_stream_events_are_typed(client):
    stream = client.responses.create(
        model="gpt-4o-mini",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "typed events please"}]}],
        stream=True)
    events = list(stream)
    assert isinstance(events[0], ResponseCreatedEvent)
    assert isinstance(events[-1], ResponseCompletedEvent)
    deltas = [e for e in events if isinstance(e, ResponseTextDeltaEvent)]
    assert deltas, [e.type for e in events]
    assert "".join(d.delta for d in deltas) == "echo: typed events please"
    assert events[-1].response.output_text == "echo: typed events please"
    assert [e.sequence_number for e in events] == sorted(e.sequence_number for e in events)


def test_echo_provider_chat_and_stream(client, mock):
    before = len(mock.requests())
    completion = client.chat.completions.create(
        model="echo-model", messages=[{"role": "system", "content": "be brief"},
                                      {"role": "user", "content": "local answer"}])
    assert completion.choices[0].message.content == "echo: local answer"
    assert completion.model == "echo-model"
    stream = client.chat.completions.create(
        model="echo-model", messages=[{"role": "user", "content": "local stream"}], stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "echo: local stream"
    assert len(mock.requests()) == before, "the echo provider must not call any upstream"


def test_echo_provider_responses_and_stream(client):
    response = client.responses.create(model="echo-model", input="echo responses")
    assert response.output_text == "echo: echo responses"
    events = list(client.responses.create(model="echo-model", input="echo responses stream", stream=True))
    assert isinstance(events[0], ResponseCreatedEvent) and isinstance(events[-1], ResponseCompletedEvent)
    text = "".join(e.delta for e in events if isinstance(e, ResponseTextDeltaEvent))
    assert text == "echo: echo responses stream"


def test_models_list_names_usable_targets(client):
    ids = {model.id for model in client.models.list()}
    assert {"gpt-4o-mini", "mock-openai", "my-deployment", "echo-model", "hang-1s"} <= ids
    assert "needs-key" not in ids and "no-key" not in ids, "an unusable target must not be listed"


def test_routing_by_target_id_rewrites_the_upstream_model(client, mock):
    rid = request_id("by-id")
    completion = client.chat.completions.create(
        model="mock-openai", messages=[{"role": "user", "content": "by id"}], extra_headers={"x-request-id": rid})
    assert completion.choices[0].message.content == "echo: by id"
    assert json.loads(mock.one_request(rid)["body"])["model"] == "gpt-4o-mini"

