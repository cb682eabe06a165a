"""Clients that are slow, greedy or malformed get a framed OpenAI-style error, and everyone else is served.

Each case speaks raw HTTP/1.1 on a socket (an SDK would never send these), to a gateway with short client
deadlines so the tests stay fast.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from conftest import _start, _stop
from e2e_support import main_config

HEADER_TIMEOUT = 1
BODY_TIMEOUT = 2
MAX_CONNECTIONS = 8


@pytest.fixture(scope="module")
def guarded(mock, plugins, dead_port):
    config = main_config(mock.port, dead_port, plugins)
    config["gateway"].update({
        "client_header_timeout_seconds": HEADER_TIMEOUT, "client_body_timeout_seconds": BODY_TIMEOUT,
        "max_connections": MAX_CONNECTIONS, "max_header_count": 50,
    })
    gw = _start(config, plugins)
    yield gw
    _stop(gw)


def exchange(port: int, data: bytes, *, then=None, timeout: float = 5) -> bytes:
    """Sends `data` (and whatever `then(sock)` sends), returns everything read until the server closes."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(timeout)
    try:
        s.sendall(data)
        if then:
            then(s)
        received = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return received
            received += chunk
    finally:
        s.close()


def parse(raw: bytes) -> tuple[int, dict[str, str], dict]:
    """Status, headers (lowercase names) and JSON body of one framed response; asserts the framing."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    assert int(headers["content-length"]) == len(body), raw
    assert headers["content-type"].startswith("application/json"), raw
    return status, headers, json.loads(body)


def assert_error(raw: bytes, status: int, code: str, type_: str = "invalid_request_error") -> dict[str, str]:
    got, headers, body = parse(raw)
    assert got == status, raw
    assert body["error"]["code"] == code and body["error"]["type"] == type_, body
    assert body["error"]["message"]
    return headers


POST = b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


@pytest.mark.parametrize("name, request_bytes, status, code", [
    ("not-http", b"HELLO WORLD\r\n\r\n", 400, "malformed_http_request"),
    ("unknown-method", b"BREW /v1/models HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed_http_request"),
    ("bad-version", b"GET /healthz HTTP/9.9\r\nHost: a\r\n\r\n", 400, "malformed_http_request"),
    ("conflicting-content-length", POST + b"Content-Length: 3\r\nContent-Length: 5\r\n\r\nabc", 400,
     "malformed_http_request"),
    ("connect", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 405, "method_not_allowed"),
    ("trace", b"TRACE /v1/models HTTP/1.1\r\nHost: a\r\n\r\n", 405, "method_not_allowed"),
    ("duplicate-host", b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "invalid_request"),
    ("too-many-headers", b"GET /healthz HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(60))
     + b"\r\n", 431, "request_header_fields_too_large"),
    ("huge-header", b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " + b"v" * 40_000 + b"\r\n\r\n", 431,
     "request_header_fields_too_large"),
    ("long-url", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414, "uri_too_long"),
])
def test_malformed_requests_get_a_framed_openai_error(guarded, name, request_bytes, status, code):
    headers = assert_error(exchange(guarded.port, request_bytes), status, code)
    assert headers["connection"] == "close"
    guarded.assert_healthy()


def test_a_head_trickled_past_its_deadline_is_cut_with_408(guarded):
    started = time.monotonic()
    raw = exchange(guarded.port, POST)  # the head never ends
    assert_error(raw, 408, "request_timeout")
    assert HEADER_TIMEOUT - 0.1 < time.monotonic() - started < HEADER_TIMEOUT + 2


def test_a_body_trickled_a_byte_a_second_is_cut_while_others_are_served(guarded):
    body = json.dumps({"model": "echo-model", "messages": [{"role": "user", "content": "x" * 40}]}).encode()
    served: list[int] = []

    def others():
        for _ in range(5):
            served.append(guarded.chat("meanwhile").status_code)
            time.sleep(0.2)

    def trickle(sock):
        for byte in body[:10]:  # one byte a second: never idle for long, never done
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                return
            time.sleep(1)

    worker = threading.Thread(target=others)
    worker.start()
    started = time.monotonic()
    raw = exchange(guarded.port, POST + b"Content-Length: %d\r\n\r\n" % len(body), then=trickle, timeout=12)
    worker.join()
    assert_error(raw, 408, "request_timeout")
    assert time.monotonic() - started < BODY_TIMEOUT + 9  # cut at the deadline (the trickler notices on its next byte)
    assert served == [200] * 5


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_50_mb_body_written_before_reading_gets_413_not_a_hang(guarded, chunked):
    megabyte = b"x" * (1 << 20)

    def write_everything(sock):
        for _ in range(50):
            sock.sendall(b"%x\r\n%s\r\n" % (len(megabyte), megabyte) if chunked else megabyte)
        if chunked:
            sock.sendall(b"0\r\n\r\n")

    framing = b"Transfer-Encoding: chunked\r\n\r\n" if chunked else b"Content-Length: %d\r\n\r\n" % (50 << 20)
    raw = exchange(guarded.port, POST + framing, then=write_everything, timeout=10)
    headers = assert_error(raw, 413, "request_too_large")
    assert headers["connection"] == "close"
    guarded.assert_healthy()


def test_connections_beyond_max_connections_get_503_overloaded(guarded):
    held = [socket.create_connection(("127.0.0.1", guarded.port)) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.2)
        raw = exchange(guarded.port, b"GET /v1/models HTTP/1.1\r\nHost: a\r\n\r\n")
        headers = assert_error(raw, 503, "overloaded", type_="server_error")
        assert headers["retry-after"] == "1"
    finally:
        for s in held:
            s.close()
    time.sleep(0.2)
    guarded.assert_healthy()
