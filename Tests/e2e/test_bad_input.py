"""Hostile and broken input. Every case gets the right status and an OpenAI-style error body, and after each
one the gateway still serves a normal request. Then: header floods, a slow client, concurrency."""

import concurrent.futures
import json
import socket
import threading
import time

import httpx
import pytest

from e2e_support import HTTP_TIMEOUT, assert_openai_error, chat_stream_text, parse_sse

CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
OK_MESSAGES = '[{"role":"user","content":"hi"}]'


def chat_body(**fields) -> bytes:
    body = {"model": "echo-model", "messages": [{"role": "user", "content": "hi"}]}
    body.update(fields)
    return json.dumps(body).encode()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# (id, path, raw body, expected status, expected code, expected param or "<any>")
BAD_CASES = [
    ("truncated", CHAT, b'{"model":"echo-model","messages":[{"role":"user","con', 400, "invalid_json", "<any>"),
    ("trailing-comma", CHAT, b'{"model":"echo-model","messages":' + OK_MESSAGES.encode() + b",}", 400,
     "invalid_json", "<any>"),
    ("single-quotes", CHAT, b"{'model':'echo-model','messages':[]}", 400, "invalid_json", "<any>"),
    ("nan", CHAT, b'{"model":"echo-model","temperature":NaN,"messages":' + OK_MESSAGES.encode() + b"}", 400,
     "invalid_json", "<any>"),
    ("infinity", CHAT, b'{"model":"echo-model","temperature":Infinity,"messages":' + OK_MESSAGES.encode() + b"}",
     400, "invalid_json", "<any>"),
    ("line-comment", CHAT, b'// hi\n{"model":"echo-model","messages":' + OK_MESSAGES.encode() + b"}", 400,
     "invalid_json", "<any>"),
    ("block-comment", CHAT, b'{/* c */"model":"echo-model","messages":' + OK_MESSAGES.encode() + b"}", 400,
     "invalid_json", "<any>"),
    ("empty-body", CHAT, b"", 400, "invalid_json", "<any>"),
    ("whitespace-body", CHAT, b"  \n\t ", 400, "invalid_json", "<any>"),
    ("two-documents", CHAT, chat_body() + chat_body(), 400, "invalid_json", "<any>"),
    ("trailing-garbage", CHAT, chat_body() + b" x", 400, "invalid_json", "<any>"),
    ("leading-zero", CHAT, b'{"model":"echo-model","n":01,"messages":' + OK_MESSAGES.encode() + b"}", 400,
     "invalid_json", "<any>"),
    ("bad-escape", CHAT, b'{"model":"echo-model","messages":[{"role":"user","content":"\\x41"}]}', 400,
     "invalid_json", "<any>"),
    ("raw-control-char", CHAT, b'{"model":"echo-model","messages":[{"role":"user","content":"a\nb"}]}', 400,
     "invalid_json", "<any>"),
    ("invalid-utf8", CHAT, b'{"model":"echo-model","messages":[{"role":"user","content":"\xff\xfe bad"}]}', 400,
     "invalid_json", "<any>"),
    ("overlong-utf8", CHAT, b'{"model":"echo-model","messages":[{"role":"user","content":"\xc0\xaf"}]}', 400,
     "invalid_json", "<any>"),
    ("utf8-encoded-surrogate", CHAT, b'{"model":"echo-model","messages":[{"role":"user","content":"\xed\xa0\x80"}]}',
     400, "invalid_json", "<any>"),
    ("lone-high-surrogate", CHAT, b'{"model":"echo-model","messages":[{"role":"user","content":"\\ud800"}]}', 400,
     "invalid_json", "<any>"),
    ("lone-low-surrogate", CHAT, b'{"model":"echo-model","messages":[{"role":"user","content":"x\\udc00y"}]}', 400,
     "invalid_json", "<any>"),
    ("nesting-200", CHAT, ('{"model":"echo-model","x":' + nested(200) + ',"messages":' + OK_MESSAGES + "}").encode(),
     400, "invalid_json", "<any>"),
    ("nesting-50k", CHAT, nested(50_000).encode()[:60_000], 400, "invalid_json", "<any>"),
    ("form-encoded", CHAT, b"model=echo-model&messages=hi", 400, "invalid_json", "<any>"),
    # Well-formed JSON of the wrong shape: 400 invalid_request_error with param and code, as OpenAI answers.
    ("null", CHAT, b"null", 400, "invalid_type", None),
    ("array", CHAT, b"[]", 400, "invalid_type", None),
    ("string", CHAT, b'"hello"', 400, "invalid_type", None),
    ("number", CHAT, b"42", 400, "invalid_type", None),
    ("model-int", CHAT, chat_body(model=5), 400, "invalid_type", "model"),
    ("model-null", CHAT, chat_body(model=None), 400, "invalid_type", "model"),
    ("messages-string", CHAT, chat_body(messages="x"), 400, "invalid_type", "messages"),
    ("messages-object", CHAT, chat_body(messages={"role": "user"}), 400, "invalid_type", "messages"),
    ("messages-empty", CHAT, chat_body(messages=[]), 400, "empty_array", "messages"),
    ("messages-int-item", CHAT, chat_body(messages=[5]), 400, "invalid_type", "messages[0]"),
    ("role-int", CHAT, chat_body(messages=[{"role": 7, "content": "x"}]), 400, "invalid_type", "messages[0].role"),
    ("role-robot", CHAT, chat_body(messages=[{"role": "robot", "content": "x"}]), 400, "invalid_value",
     "messages[0].role"),
    ("role-missing", CHAT, chat_body(messages=[{"content": "x"}]), 400, "missing_required_parameter",
     "messages[0].role"),
    ("content-int", CHAT, chat_body(messages=[{"role": "user", "content": 5}]), 400, "invalid_type",
     "messages[0].content"),
    ("content-missing", CHAT, chat_body(messages=[{"role": "user"}]), 400, "missing_required_parameter",
     "messages[0].content"),
    ("content-part-int", CHAT, chat_body(messages=[{"role": "user", "content": [5]}]), 400, "invalid_type",
     "messages[0].content[0]"),
    ("second-message-bad", CHAT, chat_body(messages=[{"role": "user", "content": "ok"}, {"role": "user",
                                                                                      "content": True}]),
     400, "invalid_type", "messages[1].content"),
    ("stream-string", CHAT, chat_body(stream="yes"), 400, "invalid_type", "stream"),
    ("stream-int", CHAT, chat_body(stream=1), 400, "invalid_type", "stream"),
    ("model-missing", CHAT, b'{"messages":' + OK_MESSAGES.encode() + b"}", 400, "missing_required_parameter",
     "model"),
    ("messages-missing", CHAT, b'{"model":"echo-model"}', 400, "missing_required_parameter", "messages"),
    ("responses-input-missing", RESPONSES, b'{"model":"echo-model"}', 400, "missing_required_parameter", "input"),
    ("responses-input-int", RESPONSES, b'{"model":"echo-model","input":5}', 400, "invalid_type", "input"),
    ("responses-input-item-int", RESPONSES, b'{"model":"echo-model","input":[5]}', 400, "invalid_type", "input[0]"),
    ("responses-model-missing", RESPONSES, b'{"input":"x"}', 400, "missing_required_parameter", "model"),
    # Known fields are type-checked before any policy or upstream sees them.
    ("max-tokens-string", CHAT, chat_body(max_tokens="lots"), 400, "invalid_type", "max_tokens"),
    ("max-tokens-decimal", CHAT, chat_body(max_tokens=1.5), 400, "invalid_type", "max_tokens"),
    ("temperature-string", CHAT, chat_body(temperature="hot"), 400, "invalid_type", "temperature"),
    ("stop-int", CHAT, chat_body(stop=5), 400, "invalid_type", "stop"),
    ("tools-int-item", CHAT, chat_body(tools=[5]), 400, "invalid_type", "tools[0]"),
    ("tool-function-name-int", CHAT, chat_body(tools=[{"type": "function", "function": {"name": 3}}]), 400,
     "invalid_type", "tools[0].function.name"),
    ("content-part-type-int", CHAT, chat_body(messages=[{"role": "user", "content": [{"type": 7}]}]), 400,
     "invalid_type", "messages[0].content[0].type"),
    ("content-part-text-missing", CHAT, chat_body(messages=[{"role": "user", "content": [{"type": "text"}]}]),
     400, "missing_required_parameter", "messages[0].content[0].text"),
    ("responses-max-output-string", RESPONSES, b'{"model":"echo-model","input":"x","max_output_tokens":"x"}', 400,
     "invalid_type", "max_output_tokens"),
    ("responses-part-type-int", RESPONSES,
     b'{"model":"echo-model","input":[{"role":"user","content":[{"type":7}]}]}', 400, "invalid_type",
     "input[0].content[0].type"),
    # Too large for max_body_bytes (64 KiB).
    ("huge-string-1mb", CHAT, chat_body(messages=[{"role": "user", "content": "a" * 1_000_000}]), 413,
     "request_too_large", "<any>"),
    ("huge-responses", RESPONSES, json.dumps({"model": "echo-model", "input": "b" * 70_000}).encode(), 413,
     "request_too_large", "<any>"),
    # Routing errors.
    ("unknown-model", CHAT, chat_body(model="gpt-nonexistent"), 404, "model_not_found", "model"),
    ("model-10kb", CHAT, chat_body(model="m" * 10_000), 404, "model_not_found", "model"),
]


@pytest.mark.parametrize("name, path, body, status, code, param", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_is_answered_with_openai_error(gateway, name, path, body, status, code, param):
    response = gateway.http.post(path, content=body, headers={"content-type": "application/json"})
    type_ = {400: "invalid_request_error", 413: "invalid_request_error", 404: "invalid_request_error"}[status]
    error = assert_openai_error(response, status, type_=type_, code=code, param=param)
    if name != "model-10kb":  # see test_unknown_model_error_caps_the_echoed_name
        assert len(error["message"]) < 2000, "client input must not be echoed unbounded into the error"
    gateway.assert_healthy()


def test_unknown_model_error_caps_the_echoed_name(gateway):
    response = gateway.http.post(CHAT, content=chat_body(model="m" * 10_000))
    error = assert_openai_error(response, 404, code="model_not_found")
    assert len(error["message"]) < 2000


def test_nesting_within_limit_is_accepted(gateway):
    body = ('{"model":"echo-model","metadata_blob":' + nested(100) + ',"messages":' + OK_MESSAGES + "}").encode()
    response = gateway.http.post(CHAT, content=body)
    assert response.status_code == 200, response.text


def test_duplicate_keys_last_one_wins_consistently(gateway, mock):
    # Two "model" members: the gateway routes by the last one, as Python's json (the upstream here) reads it.
    body = (b'{"model":"no-such-model","model":"gpt-4o-mini","messages":' + OK_MESSAGES.encode()
            + b',"x-dup":1}')
    response = gateway.http.post(CHAT, content=body, headers={"x-request-id": "dup-keys-1"})
    assert response.status_code == 200, response.text
    assert response.headers["x-gatewayhost-target"] == "mock-openai"
    assert json.loads(mock.one_request("dup-keys-1")["body"])["model"] == "gpt-4o-mini"


def test_duplicate_messages_key_cannot_smuggle_past_the_policy(gateway, mock):
    # The policy scans the messages the upstream will read (the last member), so a blocked word in the last
    # "messages" is caught, whatever the first one says.
    body = (b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"harmless"}],'
            b'"messages":[{"role":"user","content":"forbidden"}]}')
    response = gateway.http.post(CHAT, content=body, headers={"x-request-id": "dup-keys-2"})
    assert_openai_error(response, 409, type_="policy_violation", code="input_blocked")
    assert mock.requests_with_id("dup-keys-2") == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_content_type_is_not_required_for_a_json_body(gateway, content_type):
    headers = {"content-type": content_type} if content_type else {}
    request = gateway.http.build_request("POST", CHAT, content=chat_body(), headers=headers)
    if content_type is None:
        request.headers.pop("content-type", None)
    response = gateway.http.send(request)
    assert response.status_code == 200, response.text


def test_chunked_request_body_is_accepted(gateway):
    def parts():
        data = chat_body(messages=[{"role": "user", "content": "chunked body"}])
        for i in range(0, len(data), 7):
            yield data[i:i + 7]

    response = gateway.http.post(CHAT, content=parts())
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "echo: chunked body"


def test_chunked_oversized_body_is_413(gateway):
    # No Content-Length to refuse early: the limit must hold while the body is read.
    def parts():
        yield b'{"model":"echo-model","messages":[{"role":"user","content":"'
        for _ in range(100):
            yield b"z" * 1024
        yield b'"}]}'

    response = gateway.http.post(CHAT, content=parts())
    assert_openai_error(response, 413, code="request_too_large")
    gateway.assert_healthy()


def test_get_on_chat_completions_is_405_json(gateway):
    response = gateway.http.get(CHAT)
    assert_openai_error(response, 405, type_="invalid_request_error", code="method_not_allowed")
    assert response.headers["allow"] == "POST"
    gateway.assert_healthy()


# ------------------------------------------------------------------------------------------- raw sockets

def _raw_exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Sends `data` on a fresh connection, returns whatever comes back until close or timeout."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the gateway may hang up before it has read everything: that is an answer too
        received = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += chunk
                if b"\r\n\r\n" in received and _complete(received):
                    break
        except (ConnectionResetError, socket.timeout):
            pass
        return received


def _complete(response: bytes) -> bool:
    head, _, body = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False


def _status_of(raw: bytes) -> int | None:
    if not raw.startswith(b"HTTP/1.1 "):
        return None
    return int(raw[9:12])


def test_header_count_flood(gateway):
    headers = "".join(f"x-flood-{i}: value-{i}\r\n" for i in range(300))
    body = chat_body()
    request = (f"POST {CHAT} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n{headers}"
               f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body
    raw = _raw_exchange(gateway.port, request)
    status = _status_of(raw)
    assert status in (None, 400, 431), raw[:300]  # refused: closed connection or a 4xx, never served
    gateway.assert_healthy()


def test_header_size_flood(gateway):
    body = chat_body()
    request = (f"POST {CHAT} HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: {'h' * 100_000}\r\n"
               f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body
    raw = _raw_exchange(gateway.port, request)
    assert _status_of(raw) in (None, 400, 431), raw[:300]
    gateway.assert_healthy()


def test_garbage_request_line(gateway):
    raw = _raw_exchange(gateway.port, b"\x00\x01\x02 NOT HTTP AT ALL\r\n\r\n")
    assert _status_of(raw) in (None, 400), raw[:300]
    gateway.assert_healthy()


def test_content_length_larger_than_body_then_close(gateway):
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as s:
        s.sendall(f"POST {CHAT} HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n".encode() + b'{"model":')
        s.shutdown(socket.SHUT_WR)
        s.settimeout(5)
        try:
            s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            pass
    gateway.assert_healthy()


def test_slow_client_does_not_block_others(gateway):
    body = chat_body(messages=[{"role": "user", "content": "slow body"}])
    head = f"POST {CHAT} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n"
    result = {}

    def trickle():
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as s:
            s.sendall(head.encode())
            for i in range(10):  # 1 byte every 100 ms for 1 s, then the rest
                s.sendall(body[i:i + 1])
                time.sleep(0.1)
            s.sendall(body[10:])
            received = b""
            while not (b"\r\n\r\n" in received and _complete(received)):
                chunk = s.recv(65536)
                if not chunk:
                    break
                received += chunk
            result["raw"] = received

    slow = threading.Thread(target=trickle)
    slow.start()
    latencies = []
    with httpx.Client(base_url=gateway.base, timeout=HTTP_TIMEOUT, trust_env=False) as fast:
        while slow.is_alive() and len(latencies) < 50:
            started = time.monotonic()
            response = fast.post(CHAT, content=chat_body())
            latencies.append(time.monotonic() - started)
            assert response.status_code == 200
    slow.join(timeout=10)
    assert len(latencies) >= 3, "normal requests must be served while a body trickles in"
    assert max(latencies) < 0.8, f"a normal request waited {max(latencies):.2f} s behind the slow client"
    raw = result.get("raw", b"")
    assert _status_of(raw) == 200, raw[:300]
    assert b"echo: slow body" in raw


def test_fifty_concurrent_requests(gateway, mock):
    def one(i: int):
        api = "chat" if i % 2 == 0 else "responses"
        model = "gpt-4o-mini" if i % 3 else "echo-model"
        with httpx.Client(base_url=gateway.base, timeout=HTTP_TIMEOUT, trust_env=False) as c:
            if api == "chat":
                r = c.post(CHAT, json={"model": model, "messages": [{"role": "user", "content": f"n{i}"}]})
                return i, r.status_code, r.json()["choices"][0]["message"]["content"]
            r = c.post(RESPONSES, json={"model": model, "input": f"n{i}"})
            return i, r.status_code, r.json()["output"][0]["content"][0]["text"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(one, range(50)))
    for i, status, text in results:
        assert status == 200, (i, status, text)
        assert text == f"echo: n{i}", (i, text)


def test_fifty_concurrent_streams(gateway):
    def one(i: int):
        with httpx.Client(base_url=gateway.base, timeout=HTTP_TIMEOUT, trust_env=False) as c:
            with c.stream("POST", CHAT, json={"model": "gpt-4o-mini", "stream": True,
                                              "messages": [{"role": "user", "content": f"s{i} a b"}]}) as r:
                return r.status_code, r.read().decode()

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(one, range(50)))
    for i, (status, text) in enumerate(results):
        assert status == 200
        events = parse_sse(text)
        assert events[-1]["data"] == "[DONE]", text[-300:]
        assert chat_stream_text(events) == f"echo: s{i} a b"
