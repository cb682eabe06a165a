"""Routing on the real binary: retries and failover inside one deadline, Retry-After, circuit breakers, health
probes, the strategies (fallback, weighted_round_robin, latency, cost), model groups, data requirements, a chaos
run with a killed upstream, and the plan `gatewayhost validate` prints.

Every test starts its own gateway and its own mock upstreams (one mock process per target, each on its own port,
with its own request log and scripted faults: see POST /__mock/faults in Tests/mock_upstream/mock_upstream.py), so
counting what each mock received tells which target was tried, and how often.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import _start, _stop
from e2e_support import (
    MOCK_OPENAI_KEY,
    UNSET_ENV,
    Gateway,
    MockUpstream,
    _scrubbed_env,
    assert_error_body,
    assert_openai_error,
    chat_stream_text,
    gateway_binary,
    openai_target,
    parse_sse,
    to_yaml,
)

# Fast retries: a jittered backoff stays far below the 1 s a Retry-After asks for, so a wait of >= 1 s can only be
# the upstream's Retry-After being honoured.
FAST_BACKOFF = {"base_ms": 10, "max_ms": 50}


# ------------------------------------------------------------------------------------------- helpers

class Rig:
    """The processes of one test: mock upstreams and gateways, all ended at teardown."""

    def __init__(self, plugins) -> None:
        self.plugins = plugins
        self.mocks: list[MockUpstream] = []
        self.gateways: list[Gateway] = []

    def mock(self, delay_ms: float = 0) -> MockUpstream:
        upstream = MockUpstream(delay_ms=delay_ms)
        self.mocks.append(upstream)
        return upstream

    def gateway(self, config: dict) -> Gateway:
        gw = _start(config, self.plugins)
        self.gateways.append(gw)
        return gw

    def close(self) -> None:
        for gw in self.gateways:
            _stop(gw)
        for upstream in self.mocks:
            upstream.stop()


@pytest.fixture
def rig(plugins):
    r = Rig(plugins)
    yield r
    r.close()


def target(target_id: str, upstream: MockUpstream, model: str = "m", **extra) -> dict:
    """An openai target on `upstream` (its key from MOCK_OPENAI_KEY)."""
    return openai_target(target_id, model, f"{upstream.base}/v1", **extra)


def routing_config(targets: list[dict], strategy: str = "fallback", *, groups: list[dict] | None = None,
                   gateway: dict | None = None, **providers) -> dict:
    config = {
        "pack": {"name": "routing", "version": "1.0.0"},
        "policies": {"chain": []},
        "providers": {"strategy": strategy, **providers, "targets": targets},
        "gateway": {"max_body_bytes": 65536, "request_timeout_seconds": 30, **(gateway or {})},
    }
    if groups:
        config["model_groups"] = groups
    return config


def served_by(response) -> str | None:
    return response.headers.get("x-gatewayhost-target")


def attempts(response) -> str | None:
    return response.headers.get("x-gatewayhost-attempts")


def upstream_bodies(upstream: MockUpstream) -> list[dict]:
    return [json.loads(r["body"]) for r in upstream.completions()]


def health(gw: Gateway) -> dict[str, dict]:
    response = gw.http.get("/health/targets")
    assert response.status_code == 200, response.text
    return {t["id"]: t for t in response.json()["targets"]}


def wait_until(predicate, timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def stream_chat(gw: Gateway, model: str, content: str):
    """(response head, SSE events) of a streamed chat request."""
    body = {"model": model, "stream": True, "messages": [{"role": "user", "content": content}]}
    with gw.http.stream("POST", "/v1/chat/completions", json=body) as response:
        text = response.read().decode()
    return response, parse_sse(text)


class Blaster:
    """Many chat requests from a thread pool, each thread on its own keep-alive connection (http.client: cheaper
    than httpx, so the client is not the bottleneck on 2 cores)."""

    def __init__(self, gw: Gateway, model: str, concurrency: int) -> None:
        self.port = gw.port
        self.body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]}).encode()
        self.concurrency = concurrency
        self.local = threading.local()

    def one(self, _=None) -> tuple[int | None, str | None]:
        for attempt in range(2):  # a keep-alive connection the server closed meanwhile: one fresh try
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.request("POST", "/v1/chat/completions", self.body, {"content-type": "application/json"})
                response = conn.getresponse()
                response.read()
                return response.status, response.getheader("x-gatewayhost-target")
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
                conn.close()
                self.local.conn = None
                if attempt == 1:
                    return None, type(error).__name__
            except OSError as error:
                conn.close()
                self.local.conn = None
                return None, type(error).__name__
        return None, None

    def count(self, n: int) -> Counter:
        with ThreadPoolExecutor(self.concurrency) as pool:
            return Counter(pool.map(self.one, range(n)))

    def run_for(self, seconds: float, during=None) -> list[tuple[float, int | None, str | None]]:
        """Requests for `seconds` (a closed loop per thread); `during()` runs in the caller meanwhile."""
        stop_at = time.monotonic() + seconds
        results: list[tuple[float, int | None, str | None]] = []
        lock = threading.Lock()

        def loop() -> None:
            mine = []
            while time.monotonic() < stop_at:
                status, served = self.one()
                mine.append((time.monotonic(), status, served))
            with lock:
                results.extend(mine)

        threads = [threading.Thread(target=loop, daemon=True) for _ in range(self.concurrency)]
        for t in threads:
            t.start()
        if during is not None:
            during()
        for t in threads:
            t.join(timeout=seconds + 35)
        return results


# ------------------------------------------------------------------------------------------- 1. failover

def test_500_then_fallback_serves(rig):
    a, b = rig.mock(), rig.mock()
    a.faults(always={"status": 500})
    gw = rig.gateway(routing_config([target("a", a), target("b", b)], max_retries=1, retry_backoff=FAST_BACKOFF))
    response = gw.chat("hello", model="m")
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "echo: hello"
    assert served_by(response) == "b"
    assert attempts(response) == "3"  # a, a again (max_retries 1), then b
    assert a.completion_count() == 2
    assert b.completion_count() == 1


def test_every_retryable_status_fails_over(rig):
    a, b = rig.mock(), rig.mock()
    gw = rig.gateway(routing_config(
        [target("a", a), target("b", b)], max_retries=1, retry_backoff=FAST_BACKOFF,
        circuit_breaker={"failure_threshold": 1000, "cooldown_seconds": 30, "half_open_requests": 1}))
    cases = [{"status": s} for s in (408, 429, 500, 502, 503, 504, 529)]
    # A 4xx that says "overloaded" (Anthropic's overloaded_error shape) counts as overloaded, not as final.
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    cases.append({"status": 400, "body": overloaded})
    for fault in cases:
        before_a, before_b = a.completion_count(), b.completion_count()
        a.faults(fault, fault)
        response = gw.chat("x", model="m")
        assert response.status_code == 200, (fault, response.text)
        assert served_by(response) == "b", fault
        assert attempts(response) == "3", fault
        assert a.completion_count() - before_a == 2, fault
        assert b.completion_count() - before_b == 1, fault


def test_client_errors_are_final_but_a_refused_gateway_key_moves_on(rig):
    a, b = rig.mock(), rig.mock()
    gw = rig.gateway(routing_config([target("a", a), target("b", b)], max_retries=1, retry_backoff=FAST_BACKOFF))
    # A 400 is about the request itself: relayed as it is, never retried, never sent elsewhere.
    a.faults({"status": 400, "body": {"error": {"message": "bad", "type": "invalid_request_error",
                                                "param": "messages", "code": "mock_code"}}})
    response = gw.chat("x", model="m")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "mock_code"
    assert served_by(response) == "a" and attempts(response) == "1"
    assert (a.completion_count(), b.completion_count()) == (1, 0)
    # A 401/403 to the gateway's own key: that target cannot serve, the next one may (no retry on the same).
    for status in (401, 403):
        a.faults({"status": status})
        response = gw.chat("x", model="m")
        assert response.status_code == 200, response.text
        assert served_by(response) == "b" and attempts(response) == "2"
    assert (a.completion_count(), b.completion_count()) == (3, 2)


def test_retry_on_limits_what_is_retried(rig):
    a, b = rig.mock(), rig.mock()
    a.faults(always={"status": 500})
    gw = rig.gateway(routing_config([target("a", a), target("b", b)], max_retries=1, retry_backoff=FAST_BACKOFF,
                                    retry_on=["connect_error", "timeout"]))
    response = gw.chat("x", model="m")
    assert_openai_error(response, 502, type_="upstream_error", code="upstream_error")
    assert (a.completion_count(), b.completion_count()) == (1, 0)


# ------------------------------------------------------------------------------------------- 2. Retry-After

@pytest.mark.parametrize("header, value", [
    ("Retry-After", "1"), ("retry-after-ms", "1000"), ("x-ratelimit-reset-requests", "1s")])
def test_429_retry_after_is_honoured_on_the_same_target(rig, header, value):
    a, b = rig.mock(), rig.mock()
    a.faults({"status": 429, "headers": {header: value}})  # fails once, then answers
    gw = rig.gateway(routing_config([target("a", a), target("b", b)], max_retries=1, retry_backoff=FAST_BACKOFF))
    started = time.monotonic()
    response = gw.chat("x", model="m")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert served_by(response) == "a" and attempts(response) == "2"
    assert elapsed >= 1.0, f"retried after {elapsed:.3f} s, the upstream asked for 1 s"
    assert elapsed < 3.0, elapsed
    seen = a.completions()
    assert len(seen) == 2
    assert seen[1]["at"] - seen[0]["at"] >= 1.0, seen[1]["at"] - seen[0]["at"]
    assert b.completion_count() == 0


def test_429_retry_after_beyond_the_deadline_moves_on_at_once(rig):
    a, b = rig.mock(), rig.mock()
    a.faults({"status": 429, "headers": {"Retry-After": "120"}})
    gw = rig.gateway(routing_config([target("a", a), target("b", b)], max_retries=1, retry_backoff=FAST_BACKOFF,
                                    gateway={"request_timeout_seconds": 30}))
    started = time.monotonic()
    response = gw.chat("x", model="m")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert served_by(response) == "b" and attempts(response) == "2"
    assert elapsed < 1.0, f"took {elapsed:.2f} s: the 120 s Retry-After does not fit the 30 s deadline"
    assert (a.completion_count(), b.completion_count()) == (1, 1)


# ------------------------------------------------------------------------------------------- 3. refused, timeout

def test_connection_refused_moves_to_the_next_target(rig, dead_port):
    b = rig.mock()
    gw = rig.gateway(routing_config(
        [openai_target("a", "m", f"http://127.0.0.1:{dead_port}/v1"), target("b", b)],
        max_retries=1, retry_backoff=FAST_BACKOFF))
    started = time.monotonic()
    response = gw.chat("x", model="m")
    assert response.status_code == 200, response.text
    assert served_by(response) == "b" and attempts(response) == "3"
    assert time.monotonic() - started < 2
    assert b.completion_count() == 1


def test_timeout_inside_the_deadline_moves_to_the_next_target(rig):
    a, b = rig.mock(), rig.mock()
    a.faults(always={"hang": True})
    gw = rig.gateway(routing_config([target("a", a, timeout_seconds=0.5), target("b", b)], max_retries=1,
                                    retry_backoff=FAST_BACKOFF, gateway={"request_timeout_seconds": 10}))
    started = time.monotonic()
    response = gw.chat("x", model="m")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert served_by(response) == "b" and attempts(response) == "3"
    assert 0.95 <= elapsed < 3, elapsed  # two 0.5 s timeouts on a, then b at once
    assert (a.completion_count(), b.completion_count()) == (2, 1)
    # The gateway hung up on both of a's attempts.
    assert wait_until(lambda: len(a.closed()) == 2, 3), a.closed()


def test_the_request_deadline_bounds_every_attempt(rig):
    a, b = rig.mock(), rig.mock()
    a.faults(always={"hang": True})
    # a's own timeout (60 s) is longer than the deadline of the whole exchange: nothing is left for b.
    gw = rig.gateway(routing_config([target("a", a), target("b", b)], max_retries=1, retry_backoff=FAST_BACKOFF,
                                    gateway={"request_timeout_seconds": 1}))
    started = time.monotonic()
    response = gw.chat("x", model="m")
    elapsed = time.monotonic() - started
    assert_openai_error(response, 504, type_="upstream_error", code="upstream_timeout")
    assert 0.9 <= elapsed < 3, elapsed
    assert (a.completion_count(), b.completion_count()) == (1, 0)


# ------------------------------------------------------------------------------------------- 4. streams

def test_stream_cut_before_its_first_event_fails_over_invisibly(rig):
    a, b = rig.mock(), rig.mock()
    a.faults(always={"cut_after": 0})  # 200 and the SSE head, then the connection drops
    gw = rig.gateway(routing_config([target("a", a), target("b", b)], max_retries=1, retry_backoff=FAST_BACKOFF))
    response, events = stream_chat(gw, "m", "hello world")
    assert response.status_code == 200
    assert served_by(response) == "b"
    assert [e for e in events if e["event"] == "error"] == []
    assert [e["data"] for e in events].count("[DONE]") == 1 and events[-1]["data"] == "[DONE]"
    chunks = [json.loads(e["data"]) for e in events if e["data"] != "[DONE]"]
    # One answer, whole: one role chunk, one completion id, one finish, the full text once.
    assert sum(1 for c in chunks for ch in c["choices"] if "role" in ch["delta"]) == 1
    assert len({c["id"] for c in chunks}) == 1
    assert sum(1 for c in chunks for ch in c["choices"] if ch["finish_reason"]) == 1
    assert chat_stream_text(events) == "echo: hello world"
    assert (a.completion_count(), b.completion_count()) == (2, 1)


def test_stream_silent_before_its_first_event_fails_over(rig):
    a, b = rig.mock(), rig.mock()
    a.faults(always={"hang": True})
    gw = rig.gateway(routing_config([target("a", a, stream_timeout_seconds=0.5), target("b", b)], max_retries=0,
                                    gateway={"request_timeout_seconds": 10}))
    started = time.monotonic()
    response, events = stream_chat(gw, "m", "hello world")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert served_by(response) == "b" and attempts(response) == "2"
    assert chat_stream_text(events) == "echo: hello world" and events[-1]["data"] == "[DONE]"
    assert 0.45 <= elapsed < 1.5, elapsed  # one 0.5 s idle timeout on a, then b
    assert (a.completion_count(), b.completion_count()) == (1, 1)


def test_stream_cut_after_its_first_event_ends_with_the_error_event(rig):
    a, b = rig.mock(), rig.mock()
    a.faults(always={"cut_after": 2})  # the role chunk and "echo:", then the connection drops
    gw = rig.gateway(routing_config([target("a", a), target("b", b)], max_retries=1, retry_backoff=FAST_BACKOFF))
    response, events = stream_chat(gw, "m", "hello world")
    assert response.status_code == 200
    assert served_by(response) == "a"
    assert events and events[-1]["event"] == "error", events
    assert_error_body(json.loads(events[-1]["data"]), type_="upstream_error", code="stream_truncated")
    assert [e for e in events[:-1] if e["event"] == "error"] == []
    assert all(e["data"] != "[DONE]" for e in events)
    chunks = [json.loads(e["data"]) for e in events[:-1]]
    # Committed to a: nothing from another target appended, no second answer.
    assert sum(1 for c in chunks for ch in c["choices"] if "role" in ch["delta"]) == 1
    assert len({c["id"] for c in chunks}) == 1
    text = chat_stream_text(events)
    assert text and "echo: hello world".startswith(text) and text != "echo: hello world", text
    assert (a.completion_count(), b.completion_count()) == (1, 0)


# ------------------------------------------------------------------------------------------- 5. circuit breaker

def test_breaker_stops_traffic_to_a_dead_target_and_half_open_restores_it(rig):
    a, b = rig.mock(), rig.mock()
    a.faults(always={"status": 500})
    gw = rig.gateway(routing_config(
        [target("a", a), target("b", b)], max_retries=0,
        circuit_breaker={"failure_threshold": 2, "cooldown_seconds": 2, "half_open_requests": 1}))
    assert health(gw)["a"]["breaker"] == "closed"
    for _ in range(2):
        response = gw.chat("x", model="m")
        assert response.status_code == 200 and served_by(response) == "b"
        assert attempts(response) == "2"
    opened = time.monotonic()
    assert a.completion_count() == 2
    assert health(gw)["a"]["breaker"] == "open"
    # Open: a gets nothing while b serves.
    for _ in range(10):
        response = gw.chat("x", model="m")
        assert response.status_code == 200 and served_by(response) == "b"
        assert attempts(response) == "1"
    assert a.completion_count() == 2, "requests reached a while its breaker was open"
    assert b.completion_count() == 12

    # Past the cooldown, still dead: exactly one half-open probe reaches a, fails, and the breaker opens again.
    time.sleep(max(0.0, opened + 2.2 - time.monotonic()))
    assert health(gw)["a"]["breaker"] == "half_open"
    response = gw.chat("x", model="m")
    assert response.status_code == 200 and served_by(response) == "b" and attempts(response) == "2"
    reopened = time.monotonic()
    assert a.completion_count() == 3
    assert health(gw)["a"]["breaker"] == "open"
    for _ in range(5):
        assert served_by(gw.chat("x", model="m")) == "b"
    assert a.completion_count() == 3

    # Healthy again: after the cooldown the half-open probe succeeds, the breaker closes, a serves.
    a.clear_faults()
    time.sleep(max(0.0, reopened + 2.2 - time.monotonic()))
    response = gw.chat("x", model="m")
    assert response.status_code == 200 and served_by(response) == "a" and attempts(response) == "1"
    assert health(gw)["a"]["breaker"] == "closed"
    for _ in range(5):
        assert served_by(gw.chat("x", model="m")) == "a"
    assert a.completion_count() == 9


# ------------------------------------------------------------------------------------------- 6. weighted round robin

@pytest.mark.time_limit(60)
def test_weighted_round_robin_follows_the_weights(rig):
    gw = rig.gateway(routing_config([
        {"id": "heavy", "provider": "echo", "model": "echo-model", "weight": 3},
        {"id": "light", "provider": "echo", "model": "echo-model", "weight": 1},
    ], "weighted_round_robin"))
    assert {t["id"]: t["weight"] for t in gw.http.get("/health/targets").json()["targets"]} == \
        {"heavy": 3.0, "light": 1.0}
    total = 10_000
    counts = Blaster(gw, "echo-model", concurrency=16).count(total)
    assert sum(n for (status, _), n in counts.items() if status == 200) == total, counts
    share = counts[(200, "heavy")] / total
    assert 0.73 <= share <= 0.77, f"heavy served {share:.2%}: {counts}"
    assert counts[(200, "heavy")] + counts[(200, "light")] == total


# ------------------------------------------------------------------------------------------- 7. latency

@pytest.mark.time_limit(60)
def test_latency_routing_prefers_the_faster_target_and_follows_a_change(rig):
    slow, fast = rig.mock(delay_ms=200), rig.mock(delay_ms=50)
    # The slow one is listed first: preferring the faster one has to be learned.
    gw = rig.gateway(routing_config([target("first", slow), target("second", fast)], "latency"))
    # Two requests in flight: the picks made before a target's first (or first changed) answer is measured follow
    # the old scores, so each phase gives up about `concurrency` picks besides the 10 explorations.
    blaster = Blaster(gw, "m", concurrency=2)
    counts = blaster.count(200)
    assert sum(counts.values()) == 200 and all(status == 200 for status, _ in counts), counts
    assert counts[(200, "second")] >= 180, \
        f"the faster target served {counts[(200, 'second')]} of 200: {counts}, latencies now {health(gw)}"
    latencies = {t: health(gw)[t]["latency_ms"] for t in ("first", "second")}
    assert latencies["first"] > latencies["second"], latencies

    slow.settings(delay_ms=50)
    fast.settings(delay_ms=200)
    counts = blaster.count(200)
    assert all(status == 200 for status, _ in counts), counts
    assert counts[(200, "first")] >= 180, \
        f"the now faster target served {counts[(200, 'first')]} of 200: {counts}, latencies now {health(gw)}"
    # Exploration kept measuring the slower one (every 20th pick), in both phases.
    assert counts[(200, "second")] >= 5, counts


# ------------------------------------------------------------------------------------------- 8. health probes

@pytest.mark.time_limit(30)
def test_health_probe_marks_a_target_down_and_back_up(rig):
    a, b = rig.mock(), rig.mock()
    interval, unhealthy, healthy_after = 0.5, 2, 2
    probe = {"path": "/models", "interval_seconds": interval, "timeout_seconds": 1,
             "unhealthy_threshold": unhealthy, "healthy_threshold": healthy_after}
    gw = rig.gateway(routing_config([target("a", a, health_probe=probe), target("b", b)], max_retries=0))
    assert wait_until(lambda: len(a.probes()) >= 1, 3), "no health probe reached a"
    probe_request = a.probes()[0]
    assert probe_request["path"] == "/v1/models"
    assert probe_request["headers"].get("authorization") == f"Bearer {MOCK_OPENAI_KEY}"
    assert b.probes() == []  # b has no health_probe
    status = health(gw)
    assert status["a"]["probed"] is True and status["a"]["healthy"] is True
    assert status["b"]["probed"] is False
    response = gw.chat("x", model="m")
    assert served_by(response) == "a"

    a.settings(models_status=503)
    started = time.monotonic()
    assert wait_until(lambda: health(gw)["a"]["healthy"] is False, 5, interval=0.02)
    elapsed = time.monotonic() - started
    assert elapsed <= interval * unhealthy + 0.3, f"marked down after {elapsed:.2f} s"
    assert "503" in health(gw)["a"].get("last_probe_error", "")
    before = a.completion_count()
    for _ in range(5):
        response = gw.chat("x", model="m")
        assert response.status_code == 200 and served_by(response) == "b" and attempts(response) == "1"
    assert a.completion_count() == before, "routing sent requests to a target its probe marked down"

    a.settings(models_status=200)
    started = time.monotonic()
    assert wait_until(lambda: health(gw)["a"]["healthy"] is True, 5, interval=0.02)
    elapsed = time.monotonic() - started
    assert elapsed <= interval * healthy_after + 0.3, f"marked up after {elapsed:.2f} s"
    response = gw.chat("x", model="m")
    assert served_by(response) == "a"


# ------------------------------------------------------------------------------------------- 9. model groups

def test_model_groups_aliases_and_fallback_group(rig):
    a, b, c = rig.mock(), rig.mock(), rig.mock()
    gw = rig.gateway(routing_config(
        [target("ga", a, "model-a"), target("gb", b, "model-b"), target("gc", c, "model-c")], "single",
        max_retries=0,
        groups=[{"name": "smart", "targets": ["ga", "gb"], "aliases": ["smart-latest", "team/smart"],
                 "strategy": "fallback", "fallback_group": "backup"},
                {"name": "backup", "targets": ["gc"]}]))
    listed = [m["id"] for m in gw.http.get("/v1/models").json()["data"]]
    for name in ("smart", "smart-latest", "team/smart", "backup"):
        assert name in listed, listed

    for name in ("smart", "smart-latest", "team/smart"):
        response = gw.chat("x", model=name)
        assert response.status_code == 200, response.text
        assert served_by(response) == "ga"
    assert [body["model"] for body in upstream_bodies(a)] == ["model-a"] * 3

    a.faults(always={"status": 500})
    response = gw.chat("x", model="team/smart")
    assert response.status_code == 200 and served_by(response) == "gb" and attempts(response) == "2"
    assert [body["model"] for body in upstream_bodies(b)] == ["model-b"]

    # Every target of the group fails: the fallback group serves, with its own target's model.
    b.faults(always={"status": 503})
    response = gw.chat("x", model="smart")
    assert response.status_code == 200, response.text
    assert served_by(response) == "gc" and attempts(response) == "3"
    assert [body["model"] for body in upstream_bodies(c)] == ["model-c"]
    # The group's name never reaches an upstream.
    for upstream in (a, b, c):
        assert all(body["model"].startswith("model-") for body in upstream_bodies(upstream))


# ------------------------------------------------------------------------------------------- 10. data requirements

def test_zero_data_retention_requirement(rig):
    plain, zdr = rig.mock(), rig.mock()
    gw = rig.gateway(routing_config([
        target("undeclared", plain),
        target("trains", plain, data_policy={"training_opt_out": True, "retention_days": 30}),
        target("zdr", zdr, zdr=True),
        target("dp-zdr", zdr, "dp-model", data_policy={"zero_data_retention": True}),
        target("only-plain", plain, "plain-model"),
    ], "fallback", requirements={"zero_data_retention": True}))
    for fields in ({"store": True}, {}):
        response = gw.chat("x", model="m", **fields)
        assert response.status_code == 200, response.text
        assert served_by(response) == "zdr" and attempts(response) == "1"
    response = gw.chat("x", model="dp-model")
    assert response.status_code == 200 and served_by(response) == "dp-zdr"
    response = gw.http.post("/v1/responses", json={"model": "m", "input": "x", "store": True})
    assert response.status_code == 200 and served_by(response) == "zdr"
    bodies = upstream_bodies(zdr)
    assert len(bodies) == 4
    assert all(body["store"] is False for body in bodies), bodies

    response = gw.chat("x", model="plain-model")
    error = assert_openai_error(response, 503, type_="upstream_error", code="no_available_target")
    assert "only-plain" in error["message"], error
    assert plain.completion_count() == 0


# ------------------------------------------------------------------------------------------- 11. cost

def test_cost_strategy_picks_the_cheapest_target(rig):
    unpriced, pricey, cheap, mid = rig.mock(), rig.mock(), rig.mock(), rig.mock()
    gw = rig.gateway(routing_config([
        target("unpriced", unpriced),
        target("pricey", pricey, pricing={"prompt": 10, "completion": 30}),
        target("cheap", cheap, pricing={"prompt": 0.1, "completion": 0.4}),
        target("mid", mid, pricing={"prompt": 1, "completion": 2}),
    ], "cost", max_retries=0, max_fallback_attempts=4))
    for _ in range(5):
        response = gw.chat("x", model="m")
        assert response.status_code == 200 and served_by(response) == "cheap"
    assert cheap.completion_count() == 5
    # The order behind it: mid, then pricey, then the target without pricing.
    cheap.faults(always={"status": 500})
    assert served_by(gw.chat("x", model="m")) == "mid"
    mid.faults(always={"status": 500})
    assert served_by(gw.chat("x", model="m")) == "pricey"
    pricey.faults(always={"status": 500})
    response = gw.chat("x", model="m")
    assert served_by(response) == "unpriced" and attempts(response) == "4"
    assert (unpriced.completion_count(), pricey.completion_count(), mid.completion_count()) == (1, 2, 3)


# ------------------------------------------------------------------------------------------- 12. chaos

@pytest.mark.time_limit(60)
def test_chaos_an_upstream_killed_under_load(rig):
    a, b = rig.mock(), rig.mock()
    gw = rig.gateway(routing_config([target("a", a), target("b", b)], "weighted_round_robin", max_retries=1,
                                    retry_backoff=FAST_BACKOFF))
    blaster = Blaster(gw, "m", concurrency=2)
    killed_at: list[float] = []

    def kill_a() -> None:
        time.sleep(3)
        killed_at.append(time.monotonic())
        a.kill()

    results = blaster.run_for(10, during=kill_a)
    assert killed_at, "a was not killed"
    total = len(results)
    failures = [(status, served) for _, status, served in results if status != 200]
    before = [served for at, status, served in results if at < killed_at[0] and status == 200]
    after = [served for at, status, served in results if at > killed_at[0] + 1 and status == 200]
    print(f"chaos: {total} requests, {len(failures)} failed {Counter(failures)}, before the kill {Counter(before)},"
          f" after it {Counter(after)}")
    assert total >= 500, f"only {total} requests in 10 s"
    assert before.count("a") > 0 and before.count("b") > 0, Counter(before)  # both carried load before the kill
    assert set(after) == {"b"}, Counter(after)
    assert (total - len(failures)) / total >= 0.999, f"{len(failures)} of {total} failed: {Counter(failures)}"


# ------------------------------------------------------------------------------------------- 13. validate

def test_validate_prints_the_routing_plan(plugins, tmp_path):
    base = "http://127.0.0.1:9/v1"  # never contacted: validate does not send requests
    config = routing_config([
        openai_target("p1", "gpt-x", base),
        openai_target("p2", "gpt-x", base),
        openai_target("p3", "gpt-y", base, zdr=True),
        openai_target("nokey", "gpt-x", base, secret_key_ref={"env": UNSET_ENV}),
    ], "fallback", max_fallback_attempts=3, groups=[
        {"name": "smart", "targets": ["p3", "p1"], "aliases": ["smart-alias"], "fallback_group": "spare"},
        {"name": "spare", "targets": ["p2"]},
        {"name": "solo", "targets": ["p2", "p1"], "strategy": "single"},
        {"name": "priced", "targets": ["p1", "p3"], "strategy": "cost"},
    ])
    config["providers"]["targets"][0]["pricing"] = {"prompt": 5, "completion": 5}
    config["providers"]["targets"][2]["pricing"] = {"prompt": 1, "completion": 1}
    path = tmp_path / "policy-config.yaml"
    path.write_text(to_yaml(config) + "\n")
    folder = next(iter(plugins.values())).parent
    env = _scrubbed_env({"MOCK_OPENAI_KEY": MOCK_OPENAI_KEY})

    def validate():
        return subprocess.run(
            [str(gateway_binary()), "validate", "--config", str(path), "--plugins-dir", str(folder)],
            capture_output=True, text=True, timeout=30, env=env)

    run = validate()
    assert run.returncode == 0, run.stdout + run.stderr
    lines = [line.strip() for line in run.stdout.splitlines()]
    expected = [
        "route gpt-x (chat): fallback: p1 -> p2",  # nokey is unavailable (its key is not set)
        "route gpt-y (chat): fallback: p3",
        "route smart (chat): fallback: p3 -> p1 -> p2",
        "route smart-alias (chat): fallback: p3 -> p1 -> p2",
        "route spare (chat): fallback: p2",
        "route solo (chat): single: p2",
        "route priced (chat): cost: p3 -> p1",
        "route smart (responses): fallback: p3 -> p1 -> p2",
    ]
    for line in expected:
        assert line in lines, f"{line!r} not in:\n{run.stdout}"
    assert any(line.startswith("target nokey:") and "unavailable" in line for line in lines), run.stdout

    # A group naming an unknown target is refused, with the place and a suggestion.
    config["model_groups"][0]["targets"] = ["p3", "p11"]
    path.write_text(to_yaml(config) + "\n")
    run = validate()
    assert run.returncode == 1, run.stdout + run.stderr
    assert "model_groups[0].targets[1]" in run.stdout and "did you mean 'p1'" in run.stdout, run.stdout
