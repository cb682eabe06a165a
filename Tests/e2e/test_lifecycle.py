"""The lifecycle the ABI promises, on the real binary: every exchange_begin gets its exchange_end whenever the
client leaves, and SIGTERM drains (readiness 503 while still accepting, streams ended with the SSE error event,
every policy told PAB_END_HOST_SHUTDOWN, a clean exit).

The `recorder` test plugin journals "begin <policy> <id>" and "end <policy> <id> <reason> <status>" lines.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from conftest import _start, _stop
from e2e_support import ABI_INCLUDE, REPO, openai_target

RECORDER = REPO / "Tests" / "GatewayHostTests" / "Fixtures" / "plugins" / "recorder.c"


@pytest.fixture(scope="module")
def recorder_plugin(plugins):
    folder = next(iter(plugins.values())).parent
    output = folder / "recorder.so"
    subprocess.run(
        ["cc", "-std=c11", "-shared", "-fPIC", "-O2", "-fvisibility=hidden", "-I", str(ABI_INCLUDE), "-I", str(ABI_INCLUDE.parents[2] / "Plugins" / "common"), "-I",
         str(RECORDER.parent), "-o", str(output), str(RECORDER)], check=True, capture_output=True, timeout=120)
    os.chmod(output, 0o644)
    return output


def recorder_config(mock, recorder_plugin, journal: Path, **gateway) -> dict:
    base = f"http://127.0.0.1:{mock.port}/v1"
    return {
        "pack": {"name": "lifecycle", "version": "1.0.0"},
        "policies": {"chain": ["recorder"]},
        "policy": {"recorder": {"plugin": {"file": str(recorder_plugin)}, "journal": str(journal)}},
        "providers": {"targets": [
            openai_target("slow", "mock-slow", base),
            openai_target("drip", "mock-drip", base),
            openai_target("hang", "mock-hang", base),
        ]},
        "gateway": {"max_body_bytes": 65536, **gateway},
    }


def journal_lines(journal: Path) -> list[str]:
    return journal.read_text().splitlines() if journal.exists() else []


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def raw_request(port: int, body: bytes, rid: str) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              + f"x-request-id: {rid}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    return s


def chat(model: str, stream: bool) -> bytes:
    return (b'{"model":"%s","stream":%s,"messages":[{"role":"user","content":"hi"}]}'
            % (model.encode(), b"true" if stream else b"false"))


def test_every_begin_gets_its_end_whenever_the_client_leaves(mock, plugins, recorder_plugin, tmp_path):
    journal = tmp_path / "journal.log"
    gw = _start(recorder_config(mock, recorder_plugin, journal), plugins)
    try:
        stages = {
            # Waiting for the upstream's answer (JSON and stream): the client leaves before any response head.
            "json-pending": (chat("mock-slow", False), 0.3, 0),
            "stream-pending": (chat("mock-hang", True), 0.3, 0),
            # The stream's head and first events were written; the client leaves in the middle.
            "stream-midway": (chat("mock-drip", True), 1.2, 0),
            # The client leaves right after sending, before the gateway could do anything.
            "at-once": (chat("mock-slow", True), 0.0, 0),
        }
        for rid, (body, linger, _) in stages.items():
            s = raw_request(gw.port, body, rid)
            time.sleep(linger)
            s.close()
        # A request whose body never completes never starts an exchange.
        s = socket.create_connection(("127.0.0.1", gw.port))
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nx-request-id: half\r\n\r\n{")
        s.close()

        def paired() -> bool:
            lines = journal_lines(journal)
            begins = {line.split()[2] for line in lines if line.startswith("begin ")}
            ends = {line.split()[2] for line in lines if line.startswith("end ")}
            return begins == ends and set(stages) <= begins

        assert wait_for(paired, 8), journal_lines(journal)
        lines = journal_lines(journal)
        assert len([l for l in lines if l.startswith("begin ")]) == len([l for l in lines if l.startswith("end ")])
        for rid in stages:
            ends = [l for l in lines if l.startswith(f"end recorder {rid} ")]
            assert len(ends) == 1, (rid, lines)
            assert ends[0].split()[3] == "client_disconnect", (rid, ends)
        assert not any(" half" in l for l in lines)
        assert gw.alive()
        assert gw.http.get("/readyz").status_code == 200
    finally:
        _stop(gw)


def test_sigterm_drains_then_ends_open_streams(mock, plugins, recorder_plugin, tmp_path):
    journal = tmp_path / "journal.log"
    gw = _start(recorder_config(mock, recorder_plugin, journal, shutdown_grace_seconds=2), plugins)
    streams = 50
    results: list[bytes] = []
    lock = threading.Lock()
    started = threading.Barrier(streams + 1, timeout=10)

    def stream(index: int) -> None:
        body = b""
        try:
            with httpx.stream("POST", f"{gw.base}/v1/chat/completions", timeout=20, trust_env=False,
                              headers={"x-request-id": f"stream-{index}"},
                              json={"model": "mock-drip", "stream": True,
                                    "messages": [{"role": "user", "content": "hi"}]}) as response:
                chunks = response.iter_bytes()
                body += next(chunks)
                started.wait()
                for chunk in chunks:
                    body += chunk
        except Exception as error:  # noqa: BLE001 - recorded for the assertion below
            body += f"<client error {type(error).__name__}>".encode()
        with lock:
            results.append(body)

    threads = [threading.Thread(target=stream, args=(i,), daemon=True) for i in range(streams)]
    try:
        for t in threads:
            t.start()
        started.wait()
        sent = time.monotonic()
        os.kill(gw.proc.pid, signal.SIGTERM)
        time.sleep(0.3)
        # Draining: not ready, but still accepting and serving.
        with httpx.Client(base_url=gw.base, timeout=3, trust_env=False) as probe:
            ready = probe.get("/readyz")
            assert ready.status_code == 503, ready.text
            assert probe.get("/healthz").status_code == 200
        for t in threads:
            t.join(timeout=10)
        assert gw.proc.wait(timeout=8) == 0, gw.stderr_text()
        elapsed = time.monotonic() - sent
        assert 1.8 < elapsed < 8, elapsed
        assert len(results) == streams
        for body in results:
            text = body.decode("utf-8", "replace")
            assert "event: error" in text and "gateway_shutting_down" in text, text[-400:]
            assert "[DONE]" not in text
        lines = journal_lines(journal)
        ends = [l for l in lines if l.startswith("end ")]
        assert len(ends) == streams, lines
        assert all(l.split()[3] == "host_shutdown" for l in ends), ends
    finally:
        _stop(gw)
