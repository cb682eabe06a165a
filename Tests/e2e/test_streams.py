"""Streams that go wrong: an upstream that cuts the stream, a client that leaves, idle timeouts."""

import json
import threading
import time

import httpx
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


def _disconnect_mid_drip(gateway, mock):
    """Reads 2 events of a 0.5 s drip, closes the connection; returns (seconds until the upstream closed, entry)."""
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
    closed_at = time.time()  # leaving the `with` block closed the connection; now watch the upstream side
    entry = None
    deadline = time.monotonic() + 3
    while entry is None and time.monotonic() < deadline:
        entry = next((c for c in mock.closed() if c["model"] == "mock-drip" and c["at"] >= started), None)
        time.sleep(0.02)
    assert entry is not None, "the mock never saw the upstream connection close"
    return entry["at"] - closed_at, entry


def test_client_disconnect_closes_the_upstream(gateway, mock):
    delay, entry = _disconnect_mid_drip(gateway, mock)
    # Within about two drip intervals: the gateway notices when relaying the next events fails.
    assert delay <= 1.5, f"upstream closed {delay:.2f} s after the client left"
    assert entry["events_sent"] <= 5, entry
    gateway.assert_healthy()


def test_client_disconnect_closes_the_upstream_promptly(gateway, mock):
    # Counted in events rather than seconds so that a loaded machine cannot make this pass by accident: the
    # client read 2 events; a gateway watching its client connection stops the upstream before the 4th.
    delay, entry = _disconnect_mid_drip(gateway, mock)
    assert entry["events_sent"] <= 3, f"the upstream sent {entry['events_sent']} events ({delay:.2f} s)"


def test_client_leaving_a_pending_request_frees_the_upstream(fresh_gateway, mock):
    gateway = fresh_gateway
    started = time.time()
    try:
        with pytest.raises(httpx.TimeoutException):
            gateway.http.post("/v1/chat/completions", timeout=0.3,
                              json={"model": "mock-slow", "messages": [{"role": "user", "content": "x"}]})
        left_at = time.time()
        entry = None
        while entry is None and time.time() < left_at + 1.5:
            entry = next((c for c in mock.closed() if c["model"] == "mock-slow" and c["at"] >= started), None)
            time.sleep(0.02)
        assert entry is not None, "the upstream request was not cancelled when the client left"
        assert entry["at"] - left_at <= 1.0
    finally:
        time.sleep(max(0.0, started + 3.3 - time.time()))  # let the mock finish, whatever happened


def test_slow_upstream_request_does_not_delay_others(fresh_gateway):
    # A fresh process: with idle pooled connections to the mock, curl would take one and hide the wait.
    gateway = fresh_gateway
    slow_result = {}

    def slow():
        slow_result["status"] = gateway.http.post(
            "/v1/chat/completions", json={"model": "mock-slow", "messages": [{"role": "user", "content": "x"}]},
            timeout=10).status_code

    worker = threading.Thread(target=slow)
    worker.start()
    try:
        time.sleep(0.3)  # the slow request is now waiting on its upstream connection
        started = time.monotonic()
        response = gateway.chat("not slow", model="gpt-4o-mini")
        elapsed = time.monotonic() - started
        assert response.status_code == 200
        assert elapsed < 1.0, f"a fast request waited {elapsed:.2f} s behind a slow one to the same upstream"
    finally:
        worker.join(timeout=10)
    assert slow_result.get("status") == 200


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
