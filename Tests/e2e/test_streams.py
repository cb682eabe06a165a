"""Streams that go wrong: an upstream that cuts the stream, a client that leaves, idle timeouts."""

import json
import time

import openai
import pytest

from e2e_support import assert_error_body, chat_stream_text, parse_sse, request_id


def _stream_body(model, content="stream", api="chat"):
    if api == "chat":
        return "/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": content}],
                                        "stream": True}
    return "/v1/responses", {"model": model, "input": content, "stream": True}


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_stream_cut_by_upstream_ends_with_error_event(gateway, api):
    path, body = _stream_body("mock-cut", "one two three four five six", api)
    with gateway.http.stream("POST", path, json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = response.read().decode()
    events = parse_sse(text)
    assert len(events) == 4, text  # the mock's 3 events, then the gateway's error
    last = events[-1]
    assert last["event"] == "error", text
    error = assert_error_body(json.loads(last["data"]), type_="upstream_error", code="stream_truncated")
    assert "cut" in error["message"] or "before it was complete" in error["message"]
    assert all(e["data"] != "[DONE]" for e in events), "a cut stream must not look complete"
    if api == "chat":
        assert chat_stream_text(events[:-1]).startswith("echo:")


def test_stream_cut_raises_in_the_sdk(client):
    stream = client.chat.completions.create(
        model="mock-cut", messages=[{"role": "user", "content": "a b c d e"}], stream=True)
    received = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in stream:
            received.append(chunk)
    assert received, "the events before the cut must arrive"
    assert caught.value.code == "stream_truncated"


def test_client_disconnect_closes_the_upstream(gateway, mock):
    started = time.time()
    path, body = _stream_body("drip")
    with gateway.http.stream("POST", path, json=body) as response:
        assert response.status_code == 200
        seen = 0
        for line in response.iter_lines():
            if line.startswith("data:"):
                seen += 1
                if seen == 2:
                    break
        closed_at = time.time()
    # Leaving the `with` block closed the connection. The upstream must see its end within 1 s.
    entry = None
    deadline = time.monotonic() + 3
    while entry is None and time.monotonic() < deadline:
        entry = next((c for c in mock.closed() if c["model"] == "mock-drip" and c["at"] >= started), None)
        time.sleep(0.05)
    assert entry is not None, "the mock never saw the upstream connection close"
    assert entry["at"] - closed_at <= 1.0, f"upstream closed {entry['at'] - closed_at:.2f} s after the client left"
    assert entry["events_sent"] < 10, entry
    gateway.assert_healthy()


def test_idle_timeout_does_not_cut_a_slow_but_live_stream(gateway):
    # drip-idle-1s: one event every 0.5 s with stream_timeout_seconds: 1, which is an IDLE timeout: reading
    # for 3 s (three times the timeout) must see a steady stream and no error.
    path, body = _stream_body("drip-idle-1s")
    started = time.monotonic()
    events = []
    with gateway.http.stream("POST", path, json=body) as response:
        assert response.status_code == 200
        buffer = ""
        for chunk in response.iter_text():
            buffer += chunk
            if time.monotonic() - started > 3.2:
                break
    events = parse_sse(buffer)
    assert all(e["event"] != "error" for e in events), buffer[-500:]
    content_events = [e for e in events if '"content": " tok' in e["data"] or '"content":" tok' in e["data"]]
    assert len(content_events) >= 4, buffer[-500:]


def test_silent_stream_hits_the_idle_timeout(gateway):
    path, body = _stream_body("hang-1s")
    started = time.monotonic()
    with gateway.http.stream("POST", path, json=body) as response:
        text = response.read().decode()
        status = response.status_code
    elapsed = time.monotonic() - started
    assert elapsed < 4, f"stream_timeout_seconds: 1 fired after {elapsed:.2f} s"
    if status == 200:
        last = parse_sse(text)[-1]
        assert last["event"] == "error", text
        assert_error_body(json.loads(last["data"]), code="upstream_timeout")
    else:
        assert status == 504, text
        assert_error_body(json.loads(text), type_="upstream_error", code="upstream_timeout")


def test_gateway_serves_after_stream_failures(gateway):
    gateway.assert_healthy()
    rid = request_id("after-streams")
    response = gateway.http.post(
        "/v1/chat/completions", headers={"x-request-id": rid},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "ok"}]})
    assert response.status_code == 200
