"""Operations: the Prometheus scrape, JSON and access logs, hot reload (admin endpoint and SIGHUP), and reload
under streaming load with no failed request, each exchange served by one config generation, and every replaced
plugin instance destroyed."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
import uuid

import httpx
import pytest

from conftest import _start, _stop
from e2e_support import HTTP_TIMEOUT, artifacts_dir, MockUpstream, free_port, main_config, openai_target, parse_sse, to_yaml

ADMIN_KEY = "gw-admin-key-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def _metric(text: str, metric_name: str, /, **labels) -> float | None:
    """The value of one series in a Prometheus text scrape (labels matched exactly when given)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(metric_name):
            continue
        series, _, value = line.rpartition(" ")
        if "{" in series:
            metric, _, rest = series.partition("{")
            found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', rest))
        else:
            metric, found = series, {}
        if metric == metric_name and all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    return None


@pytest.fixture(scope="module")
def ops_gateway(mock, plugins, dead_port):
    config = main_config(mock.port, dead_port, plugins)
    config["gateway"].update({"admin_keys": [{"id": "ops", "secret_key_ref": {"env": "GW_ADMIN_KEY"}}],
                              "log_format": "json", "access_log": True})
    gw = _start(config, plugins, env={"GW_ADMIN_KEY": ADMIN_KEY})
    yield gw
    _stop(gw)


def test_the_scrape_counts_requests_verdicts_attempts_and_plugin_counters(ops_gateway):
    word = "zq" + uuid.uuid4().hex[:10]
    assert ops_gateway.chat(f"hello {word}").status_code == 200
    assert ops_gateway.chat(f"a forbidden {word}").status_code == 409
    assert ops_gateway.chat(f"secret SECRET-77 {word}", model="gpt-4o-mini").status_code == 200
    assert ops_gateway.chat(f"no such {word}", model=f"model-{word}").status_code == 404
    with ops_gateway.http.stream("POST", "/v1/chat/completions", json={
            "model": "echo-model", "stream": True, "messages": [{"role": "user", "content": f"stream {word}"}]}) as r:
        assert r.status_code == 200
        r.read()
    scrape = ops_gateway.http.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    text = scrape.text
    route = "/v1/chat/completions"
    assert _metric(text, "gatewayhost_requests_total", route=route, model="echo-model", target="echo",
                   status_class="2xx") >= 2
    assert _metric(text, "gatewayhost_requests_total", route=route, model="echo-model", status_class="4xx") >= 1
    # A model nobody configured is not a label value: clients cannot grow the series.
    assert _metric(text, "gatewayhost_requests_total", route=route, model="other", status_class="4xx") >= 1
    assert f"model-{word}" not in text and word not in text, "request text leaked into the metrics"
    assert _metric(text, "gatewayhost_upstream_attempts_total", target="mock-openai", outcome="success") >= 1
    assert _metric(text, "gatewayhost_policy_verdicts_total", policy="block-words", hook="on_request",
                   verdict="deny") >= 1
    assert _metric(text, "gatewayhost_policy_verdicts_total", policy="redact", hook="on_request",
                   verdict="mutate") >= 1
    assert _metric(text, "gatewayhost_policy_counter_total", policy="block-words", name="blocked_requests") >= 1
    assert _metric(text, "gatewayhost_policy_counter_total", policy="redact", name="redactions") >= 1
    assert _metric(text, "gatewayhost_policy_hook_duration_seconds_count", policy="redact", hook="on_request") >= 3
    assert _metric(text, "gatewayhost_request_duration_seconds_count", route=route) >= 5
    assert _metric(text, "gatewayhost_time_to_first_byte_seconds_count", route=route) >= 1
    assert _metric(text, "gatewayhost_target_healthy", target="echo") == 1
    assert _metric(text, "gatewayhost_target_breaker_state", target="echo") == 0
    assert _metric(text, "gatewayhost_inflight_requests") is not None
    assert _metric(text, "gatewayhost_open_streams") == 0
    assert _metric(text, "gatewayhost_config_generation") == 1
    assert _metric(text, "gatewayhost_bytes_sent_total") > 0
    assert _metric(text, "gatewayhost_policy_instances_created_total") == 2
    (artifacts_dir() / "metrics.txt").write_text(text)


def test_json_logs_carry_one_object_a_line_and_an_access_line_per_exchange(ops_gateway):
    rid = "ops-" + uuid.uuid4().hex[:12]
    word = "zq" + uuid.uuid4().hex[:10]
    response = ops_gateway.http.post("/v1/chat/completions", headers={"x-request-id": rid}, json={
        "model": "echo-model", "messages": [{"role": "user", "content": f"private prompt {word}"}]})
    assert response.status_code == 200
    assert response.headers["x-gatewayhost-generation"] == "1"
    deadline = time.monotonic() + 5
    access = None
    while access is None and time.monotonic() < deadline:
        lines = ops_gateway.stderr_text(200000).splitlines()
        for line in lines:
            if rid in line:
                record = json.loads(line)
                if record.get("logger") == "gatewayhost.access":
                    access = record
        time.sleep(0.05)
    assert access, "no access line"
    for line in ops_gateway.stderr_text(200000).splitlines():
        json.loads(line)  # every line is one JSON object
    assert word not in ops_gateway.stderr_text(200000), "prompt or answer text reached the log"
    assert access["request_id"] == rid and access["status"] == 200 and access["model"] == "echo-model"
    assert access["target"] == "echo" and access["client_id"] == "anonymous" and access["attempts"] == 1
    assert access["end_reason"] == "completed" and access["generation"] == 1 and access["stream"] is False
    assert access["latency_ms"] > 0 and access["ttft_ms"] > 0 and access["total_tokens"] > 0
    assert "redact:on_request:allow" in access["verdicts"]
    (artifacts_dir() / "access-log.json").write_text(json.dumps(access) + "\n")


def test_a_text_access_log_and_a_separate_metrics_listener(mock, plugins, dead_port):
    metrics_port = free_port()
    config = main_config(mock.port, dead_port, plugins)
    config["gateway"].update({"access_log": True, "metrics": {"listen": f"127.0.0.1:{metrics_port}", "path": "/m"}})
    gw = _start(config, plugins)
    try:
        rid = "ops-" + uuid.uuid4().hex[:12]
        assert gw.http.post("/v1/chat/completions", headers={"x-request-id": rid}, json={
            "model": "echo-model", "messages": [{"role": "user", "content": "hi"}]}).status_code == 200
        assert gw.http.get("/metrics").status_code == 404
        assert gw.http.get("/m").status_code == 404
        with httpx.Client(timeout=HTTP_TIMEOUT, trust_env=False) as c:
            scrape = c.get(f"http://127.0.0.1:{metrics_port}/m")
        assert scrape.status_code == 200
        assert _metric(scrape.text, "gatewayhost_requests_total", model="echo-model", status_class="2xx") == 1
        deadline = time.monotonic() + 5
        while rid not in gw.stderr_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        line = next(l for l in gw.stderr_text().splitlines() if rid in l and "gatewayhost.access" in l)
        assert f"request_id={rid}" in line and "status=200" in line and "target=echo" in line
    finally:
        _stop(gw)


def test_reload_by_admin_endpoint_and_sighup_keeps_serving_through_a_broken_config(mock, plugins, dead_port):
    config = main_config(mock.port, dead_port, plugins)
    gw = _start(config, plugins, env={"GW_ADMIN_KEY": ADMIN_KEY})
    try:
        # No admin keys: the admin endpoints do not exist.
        assert gw.http.post("/admin/reload", headers=ADMIN).status_code == 404
        assert gw.http.get("/admin/api/status", headers=ADMIN).status_code == 404
        config["gateway"]["admin_keys"] = [{"id": "ops", "secret_key_ref": {"env": "GW_ADMIN_KEY"}}]
        gw.config_path.write_text(to_yaml(config) + "\n")
        os.kill(gw.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while gw.chat().headers.get("x-gatewayhost-generation") != "2" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gw.chat().headers["x-gatewayhost-generation"] == "2"

        wrong = gw.http.post("/admin/reload", headers={"Authorization": "Bearer not-the-key"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_admin_key"
        assert "basic" in wrong.headers["www-authenticate"].lower()

        # A change that only applies at restart is named; a reloadable one applies.
        config["gateway"]["max_connections"] = 77
        config["policies"]["chain"] = ["block-words"]
        del config["policy"]["redact"]
        gw.config_path.write_text(to_yaml(config) + "\n")
        ok = gw.http.post("/admin/reload", headers=ADMIN)
        assert ok.status_code == 200, ok.text
        assert ok.json() == {"ok": True, "generation": 3, "restart_required_for": ["gateway.max_connections"]}
        assert gw.chat("SECRET-1").json()["choices"][0]["message"]["content"] == "echo: SECRET-1"  # no redact now

        gw.config_path.write_text(to_yaml(config).replace("providers:", "provider:") + "\n")
        broken = gw.http.post("/admin/reload", headers=ADMIN)
        assert broken.status_code == 422
        body = broken.json()
        assert body["error"]["code"] == "reload_failed" and body["generation"] == 3
        assert "did you mean 'providers'" in body["error"]["message"]
        assert gw.chat().headers["x-gatewayhost-generation"] == "3"
        status = gw.http.get("/admin/api/status", headers=ADMIN).json()
        assert status["generation"] == 3 and status["last_reload"]["ok"] is False
        scrape = gw.http.get("/metrics").text
        assert _metric(scrape, "gatewayhost_config_reloads_total", result="ok") == 2
        assert _metric(scrape, "gatewayhost_config_reloads_total", result="failed") == 1
        assert gw.alive()
    finally:
        _stop(gw)


def _load_config(letter: str, upstream: MockUpstream, plugins) -> dict:
    """Config A redacts SECRET-<n> and routes to target gen-a; config B blocks a word and routes to gen-b."""
    base = f"http://127.0.0.1:{upstream.port}/v1"
    policies = {
        "block-words": {"plugin": {"file": str(plugins["keyword_blocklist"])}, "keywords": ["forbidden"]},
        "redact": {"plugin": {"file": str(plugins["redact_secret"])}},
    }
    chain = ["redact"] if letter == "A" else ["block-words"]
    return {
        "pack": {"name": "reload-load", "version": "1.0.0"},
        "policies": {"chain": chain},
        "policy": {name: policies[name] for name in chain},
        "providers": {"targets": [openai_target("gen-a" if letter == "A" else "gen-b", "load-model", base)]},
        "gateway": {"admin_keys": [{"id": "ops", "secret_key_ref": {"env": "GW_ADMIN_KEY"}}]},
    }


@pytest.mark.time_limit(120)
def test_reload_under_streaming_load_drops_nothing_and_mixes_no_generations(plugins):
    seconds = float(os.environ.get("RELOAD_LOAD_SECONDS", "30"))
    upstream = MockUpstream(delay_ms=150)
    gw = _start(_load_config("A", upstream, plugins), plugins, env={"GW_ADMIN_KEY": ADMIN_KEY})
    letters = {1: "A"}
    results: list[dict] = []
    failures: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def client_loop() -> None:
        with httpx.Client(base_url=gw.base, timeout=HTTP_TIMEOUT, trust_env=False) as c:
            while not stop.is_set():
                try:
                    with c.stream("POST", "/v1/chat/completions", json={
                            "model": "load-model", "stream": True,
                            "messages": [{"role": "user", "content": "say SECRET-42 now"}]}) as r:
                        body = r.read().decode()
                        status, headers = r.status_code, r.headers
                except httpx.HTTPError as error:
                    with lock:
                        failures.append(f"transport: {error!r}")
                    continue
                events = parse_sse(body)
                text = "".join((json.loads(e["data"])["choices"] or [{}])[0].get("delta", {}).get("content") or ""
                               for e in events if e["data"] != "[DONE]")
                with lock:
                    if status != 200 or not events or events[-1]["data"] != "[DONE]":
                        failures.append(f"status {status}: {body[:200]}")
                    else:
                        results.append({"generation": int(headers["x-gatewayhost-generation"]),
                                        "target": headers["x-gatewayhost-target"], "text": text})

    threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(32)]
    try:
        for t in threads:
            t.start()
        sequence = ["B", "broken", "A", "broken"]
        reloads = ok_reloads = 0
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            time.sleep(1.0)
            letter = sequence[reloads % len(sequence)]
            config = _load_config("A" if letter == "broken" else letter, upstream, plugins)
            text = to_yaml(config) + "\n"
            if letter == "broken":
                text = text.replace("targets:", "targtes:")
            gw.config_path.write_text(text)
            answer = gw.http.post("/admin/reload", headers=ADMIN)
            reloads += 1
            if letter == "broken":
                assert answer.status_code == 422, answer.text
            else:
                assert answer.status_code == 200, answer.text
                letters[answer.json()["generation"]] = letter
                ok_reloads += 1
        stop.set()
        for t in threads:
            t.join(timeout=15)
        assert not failures, f"{len(failures)} failed requests, first: {failures[:3]}"
        assert len(results) > 100 and ok_reloads >= max(2, int(seconds) // 3)
        generations = {r["generation"] for r in results}
        assert len(generations) >= 3, generations
        for r in results:
            letter = letters[r["generation"]]
            expected_target = "gen-a" if letter == "A" else "gen-b"
            expected_text = "echo: say [REDACTED] now" if letter == "A" else "echo: say SECRET-42 now"
            assert (r["target"], r["text"]) == (expected_target, expected_text), (r, letter)
        # Every instance of every replaced generation is destroyed once its last exchange ended.
        deadline = time.monotonic() + float(os.environ.get("RELOAD_RETIRE_WAIT", "10"))
        while True:
            scrape = gw.http.get("/metrics").text
            created = _metric(scrape, "gatewayhost_policy_instances_created_total")
            destroyed = _metric(scrape, "gatewayhost_policy_instances_destroyed_total") or 0
            if created - destroyed == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert created == 1 + ok_reloads and created - destroyed == 1, (created, destroyed)
        summary = (f"reload under load: {len(results)} streams in {seconds:.0f} s with 32 clients, 0 failed; "
                   f"{reloads} reloads ({ok_reloads} ok, {reloads - ok_reloads} refused); {len(generations)} "
                   f"generations served; plugin instances created {created:.0f}, destroyed {destroyed:.0f}")
        print(summary)
        (artifacts_dir() / "reload-under-load.txt").write_text(summary + "\n")
        assert gw.alive()
    finally:
        stop.set()
        _stop(gw)
        upstream.stop()
