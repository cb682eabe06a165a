"""Usage and cost on the real binary (issue 13): what the gateway records for every exchange equals the mock
upstream's figures, read back through `GET /admin/usage` and `gatewayhost usage --json`.

- JSON chat, chat streams with and without the client's `stream_options.include_usage` (the gateway always asks
  the upstream for usage; a client that did not ask receives exactly the bytes it would have received without the
  gateway), Responses streams (`response.completed`'s usage), a cut stream (`mock-cut`: estimated).
- Cost from the target's `pricing` (USD per 1M tokens), compared with the arithmetic on the recorded figures.
- The ledger (`<data_dir>/usage.sqlite3`) is 0600 in a 0700 folder and never holds a key.

The mock's figures (Tests/mock_upstream/mock_upstream.py): prompt tokens = the words of every input message,
completion tokens = the words of the reply "echo: " + the last user message, no cached tokens.

Helpers used by test_limits.py and test_limits_redis.py live here too (Rig, configs, usage read-back).
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import openai
import pytest

from conftest import _start, _stop
from e2e_support import (
    GATEWAY_CLIENT_KEY,
    HTTP_TIMEOUT,
    MOCK_OPENAI_KEY,
    Gateway,
    MockUpstream,
    gateway_binary,
    openai_target,
    parse_sse,
)

ADMIN_KEY = "gw-admin-key-usage-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
CLIENT_KEY_B = "gw-client-key-team-b-7777"
CLIENT_KEYS = {"team-a": GATEWAY_CLIENT_KEY, "team-b": CLIENT_KEY_B}
GATEWAY_ENV = {"GW_KEY_A": GATEWAY_CLIENT_KEY, "GW_KEY_B": CLIENT_KEY_B, "GW_ADMIN_KEY": ADMIN_KEY}

PRICING = {"prompt": 2.5, "completion": 10, "cached_input": 1.25}  # USD per 1M tokens
COST_TOLERANCE = 1e-9


# ------------------------------------------------------------------------------------------- helpers (shared)

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

    def gateway(self, config: dict, env: dict[str, str] | None = None) -> Gateway:
        gw = _start(config, self.plugins, env={**GATEWAY_ENV, **(env or {})})
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
    return openai_target(target_id, model, f"{upstream.base}/v1", **extra)


def client_key(key_id: str, **extra) -> dict:
    """A client key from CLIENT_KEYS (its secret in GW_KEY_A / GW_KEY_B), with `limits` / `budget` as given."""
    env = {"team-a": "GW_KEY_A", "team-b": "GW_KEY_B"}[key_id]
    return {"id": key_id, "secret_key_ref": {"env": env}, **extra}


def usage_config(targets: list[dict], *, client_keys: list[dict] | None = None, data_dir: Path | None = None,
                 gateway: dict | None = None, strategy: str = "fallback", **top) -> dict:
    """A gateway with no policies, an admin key, `client_keys` (default: team-a without limits) and `top` level
    sections as given (`limits`, `budget`, `state`)."""
    section = {"max_body_bytes": 1048576, "request_timeout_seconds": 30,
               "admin_keys": [{"id": "ops", "secret_key_ref": {"env": "GW_ADMIN_KEY"}}],
               "client_keys": client_keys if client_keys is not None else [client_key("team-a")],
               **(gateway or {})}
    if data_dir is not None:
        section["data_dir"] = str(data_dir)
    return {
        "pack": {"name": "usage", "version": "1.0.0"},
        "policies": {"chain": []},
        "providers": {"strategy": strategy, "max_retries": 0, "targets": targets},
        "gateway": section,
        **top,
    }


def sdk(gw: Gateway, key_id: str = "team-a") -> openai.OpenAI:
    """The official SDK on `gw` with a client key; no retries (a 429 surfaces at once)."""
    return openai.OpenAI(base_url=f"{gw.base}/v1", api_key=CLIENT_KEYS[key_id], max_retries=0,
                         timeout=HTTP_TIMEOUT)


def auth(key_id: str = "team-a") -> dict[str, str]:
    return {"Authorization": f"Bearer {CLIENT_KEYS[key_id]}"}


def post_chat(gw: Gateway, content: str = "ping", model: str = "m", key_id: str | None = "team-a",
              **fields) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": content}], **fields}
    return gw.http.post("/v1/chat/completions", json=body, headers=auth(key_id) if key_id else {})


def mock_figures(content: str) -> tuple[int, int]:
    """(prompt_tokens, completion_tokens) the mock reports for one user message `content`."""
    return len(content.split()), len(("echo: " + content).split())


def cost(prompt: int, completion: int, cached: int = 0, pricing: dict = PRICING) -> float:
    """USD for the figures: cached tokens are part of the prompt tokens (OpenAI's usage), priced at cached_input."""
    return ((prompt - cached) * pricing["prompt"] + cached * pricing["cached_input"]
            + completion * pricing["completion"]) / 1e6


def admin_usage(gw: Gateway, group_by: str, **params) -> dict:
    response = gw.http.get("/admin/usage", params={"group_by": group_by, **params}, headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["group_by"] == group_by, body
    assert isinstance(body["rows"], list), body
    return body


def rows_by_key(body: dict) -> dict[str, dict]:
    rows = {row["key"]: row for row in body["rows"]}
    assert len(rows) == len(body["rows"]), f"a key appears twice: {body}"
    return rows


def wait_for_usage(gw: Gateway, group_by: str, key: str, requests: int, timeout: float = 5.0) -> dict:
    """The row of `key` once it counts `requests` (the ledger may be written up to a second after the answer)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = rows_by_key(admin_usage(gw, group_by))
        row = rows.get(key)
        if (row and row["requests"] >= requests) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert row is not None, f"no usage row for {group_by} {key!r}: {rows}"
    assert row["requests"] == requests, row
    return row


def cli_usage(gw: Gateway, group_by: str, *extra: str, json_output: bool = True) -> subprocess.CompletedProcess:
    """`gatewayhost usage --config <the gateway's config> --group-by G [--json]`, with the gateway's environment."""
    command = [str(gateway_binary()), "usage", "--config", str(gw.config_path), "--group-by", group_by, *extra]
    if json_output:
        command.append("--json")
    if gw.alive():
        # A running gateway writes its ledger at least every second (the kill -9 promise); the CLI is
        # another process and reads the file, so it sees a record within that second.
        time.sleep(1.1)
    return subprocess.run(command, capture_output=True, text=True, timeout=30, env=gw.env, cwd=gw.workdir)


def cli_rows(gw: Gateway, group_by: str, *extra: str) -> dict[str, dict]:
    run = cli_usage(gw, group_by, *extra)
    assert run.returncode == 0, f"gatewayhost usage exited {run.returncode}:\n{run.stdout}\n{run.stderr}"
    body = json.loads(run.stdout)
    assert body["group_by"] == group_by, body
    return rows_by_key(body)


def assert_row(row: dict, *, requests: int, prompt: int, completion: int, cached: int = 0, estimated: int = 0,
               pricing: dict | None = PRICING) -> None:
    for key in ("key", "requests", "prompt_tokens", "completion_tokens", "cached_tokens", "cost_usd", "estimated"):
        assert key in row, f"{key} missing in {row}"
    assert (row["requests"], row["prompt_tokens"], row["completion_tokens"], row["cached_tokens"],
            row["estimated"]) == (requests, prompt, completion, cached, estimated), row
    if pricing is not None:
        expected = cost(prompt, completion, cached, pricing)
        assert abs(row["cost_usd"] - expected) <= COST_TOLERANCE, f"cost {row['cost_usd']} != {expected}: {row}"


def assert_same_everywhere(gw: Gateway, group_by: str, key: str, **figures) -> None:
    """The admin endpoint's row and the CLI's row of `key` both carry `figures` (the gateway still running)."""
    assert_row(wait_for_usage(gw, group_by, key, figures["requests"]), **figures)
    # The gateway writes its ledger at least every second: the CLI (another process) sees a record by then.
    deadline = time.monotonic() + 3
    rows = cli_rows(gw, group_by)
    while rows.get(key, {}).get("requests") != figures["requests"] and time.monotonic() < deadline:
        time.sleep(0.1)
        rows = cli_rows(gw, group_by)
    assert key in rows, f"the CLI shows no row {key}: {rows}"
    assert_row(rows[key], **figures)


_SSE_ID = re.compile(r'"id": "chatcmpl-mock[0-9a-f]{20}"')
_SSE_CREATED = re.compile(r'"created": \d+')


def normalized_sse(text: str) -> str:
    """A mock chat stream with its per-request id and created time made constant (two requests differ there)."""
    return _SSE_CREATED.sub('"created": 0', _SSE_ID.sub('"id": "chatcmpl-ID"', text))


def raw_stream(base: str, body: dict, headers: dict[str, str] | None = None) -> tuple[int, str]:
    with httpx.Client(base_url=base, timeout=HTTP_TIMEOUT, trust_env=False) as c:
        with c.stream("POST", "/v1/chat/completions", json=body, headers=headers or {}) as response:
            return response.status_code, response.read().decode()


def upstream_body(upstream: MockUpstream, rid: str) -> dict:
    return json.loads(upstream.one_request(rid)["body"])


# ------------------------------------------------------------------------------------------- 1. exact usage

def test_json_chat_usage_is_the_upstreams(rig, tmp_path):
    upstream = rig.mock()
    gw = rig.gateway(usage_config([target("a", upstream, pricing=PRICING)], data_dir=tmp_path / "data"))
    content = "how many tokens are in this prompt"
    answer = sdk(gw).chat.completions.create(model="m", messages=[{"role": "user", "content": content}])
    prompt, completion = mock_figures(content)
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (prompt, completion)

    figures = {"requests": 1, "prompt": prompt, "completion": completion}
    for group_by, key in (("client", "team-a"), ("model", "m"), ("target", "a")):
        assert_same_everywhere(gw, group_by, key, **figures)
        assert len(admin_usage(gw, group_by)["rows"]) == 1

    # The CLI reads the same ledger after the gateway stopped.
    gw.stop()
    for group_by, key in (("client", "team-a"), ("model", "m"), ("target", "a")):
        assert_row(cli_rows(gw, group_by)[key], **figures)
    human = cli_usage(gw, "client", json_output=False)
    assert human.returncode == 0 and "team-a" in human.stdout, human.stdout + human.stderr


def test_chat_stream_with_client_include_usage(rig, tmp_path):
    upstream = rig.mock()
    gw = rig.gateway(usage_config([target("a", upstream, pricing=PRICING)], data_dir=tmp_path / "data"))
    content = "stream me some words please"
    rid = "usage-" + uuid.uuid4().hex[:12]
    chunks = list(sdk(gw).chat.completions.create(
        model="m", messages=[{"role": "user", "content": content}], stream=True,
        stream_options={"include_usage": True}, extra_headers={"x-request-id": rid}))
    prompt, completion = mock_figures(content)
    assert chunks and chunks[-1].choices == [] and chunks[-1].usage is not None, chunks[-1]
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (prompt, completion)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: " + content
    assert upstream_body(upstream, rid)["stream_options"] == {"include_usage": True}
    assert_same_everywhere(gw, "client", "team-a", requests=1, prompt=prompt, completion=completion)

    # What the client receives is what the upstream sends (it asked for the usage chunk itself).
    body = {"model": "m", "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": content}]}
    status, via_gateway = raw_stream(gw.base, body, auth())
    direct_status, direct = raw_stream(upstream.base, body)
    assert (status, direct_status) == (200, 200)
    assert normalized_sse(via_gateway) == normalized_sse(direct)


def test_chat_stream_without_include_usage_is_what_the_client_would_have_seen(rig, tmp_path):
    upstream = rig.mock()
    gw = rig.gateway(usage_config([target("a", upstream, pricing=PRICING)], data_dir=tmp_path / "data"))
    content = "no usage chunk for me thanks"
    rid = "usage-" + uuid.uuid4().hex[:12]
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": content}]}
    status, via_gateway = raw_stream(gw.base, body, {**auth(), "x-request-id": rid})
    assert status == 200, via_gateway

    # The gateway asked the upstream for usage although the client did not.
    sent = upstream_body(upstream, rid)
    assert (sent.get("stream_options") or {}).get("include_usage") is True, sent

    # The same request straight to the mock, as a client without the gateway would send it.
    direct_status, direct = raw_stream(upstream.base, body)
    assert direct_status == 200
    assert '"usage"' not in direct  # the mock sends no usage to a client that did not ask
    events = parse_sse(via_gateway)
    assert events[-1]["data"] == "[DONE]", via_gateway
    for event in events[:-1]:
        chunk = json.loads(event["data"])
        assert chunk["choices"], f"the usage chunk reached a client that did not ask for it: {event}"
        assert "usage" not in chunk, f"a usage field (the upstream's \"usage\": null) reached the client: {event}"
    assert normalized_sse(via_gateway) == normalized_sse(direct), \
        f"through the gateway:\n{via_gateway}\nstraight from the mock:\n{direct}"

    prompt, completion = mock_figures(content)
    assert_same_everywhere(gw, "client", "team-a", requests=1, prompt=prompt, completion=completion)

    # The SDK sees no usage either.
    chunks = list(sdk(gw).chat.completions.create(model="m", messages=[{"role": "user", "content": content}],
                                                  stream=True))
    assert all(c.usage is None and c.choices for c in chunks), chunks
    assert_same_everywhere(gw, "client", "team-a", requests=2, prompt=2 * prompt, completion=2 * completion)


def test_responses_usage_json_and_stream(rig, tmp_path):
    upstream = rig.mock()
    gw = rig.gateway(usage_config([target("a", upstream, pricing=PRICING)], data_dir=tmp_path / "data"))
    client = sdk(gw)
    content = "responses api usage counts too"
    prompt, completion = mock_figures(content)

    answer = client.responses.create(model="m", input=content)
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (prompt, completion)
    assert_same_everywhere(gw, "target", "a", requests=1, prompt=prompt, completion=completion)

    events = list(client.responses.create(model="m", input=content, stream=True))
    completed = [e for e in events if e.type == "response.completed"]
    assert len(completed) == 1, [e.type for e in events]
    usage = completed[0].response.usage
    assert (usage.input_tokens, usage.output_tokens) == (prompt, completion)
    assert_same_everywhere(gw, "target", "a", requests=2, prompt=2 * prompt, completion=2 * completion)


def test_a_cut_stream_is_recorded_as_estimated(rig, tmp_path):
    upstream = rig.mock()
    gw = rig.gateway(usage_config(
        [target("a", upstream, pricing=PRICING), target("cut", upstream, "mock-cut", pricing=PRICING)],
        data_dir=tmp_path / "data"))
    content = "this stream will be cut short"
    body = {"model": "mock-cut", "stream": True, "messages": [{"role": "user", "content": content}]}
    try:
        raw_stream(gw.base, body, auth())
    except httpx.HTTPError:
        pass  # how the client learns of the cut is not this test's business
    assert upstream.completion_count() == 1
    row = wait_for_usage(gw, "target", "cut", 1)
    assert row["estimated"] == 1, row
    # Estimated by the gateway's tokenizer: the prompt, and the text seen before the cut ("echo: this").
    assert 1 <= row["prompt_tokens"] <= 4 * len(content.split()), row
    assert 1 <= row["completion_tokens"] <= 10, row
    assert abs(row["cost_usd"] - cost(row["prompt_tokens"], row["completion_tokens"])) <= COST_TOLERANCE, row

    # A complete exchange next to it is exact, not estimated.
    assert post_chat(gw, content).status_code == 200
    prompt, completion = mock_figures(content)
    assert_row(wait_for_usage(gw, "target", "a", 1), requests=1, prompt=prompt, completion=completion)
    client_row = wait_for_usage(gw, "client", "team-a", 2)
    assert client_row["estimated"] == 1, client_row
    assert cli_rows(gw, "target")["cut"]["estimated"] == 1


# ------------------------------------------------------------------------------------------- 2. cost

def test_cost_is_the_pricing_times_the_recorded_tokens(rig, tmp_path):
    upstream = rig.mock()
    cheap = {"prompt": 0.15, "completion": 0.6, "cached_input": 0.075}
    gw = rig.gateway(usage_config([target("a", upstream, pricing=PRICING),
                                   target("b", upstream, "other", pricing=cheap)], data_dir=tmp_path / "data"))
    contents = ["one", "two words", "a somewhat longer prompt with more words in it " * 20]
    totals = {"a": [0, 0], "b": [0, 0]}
    for content in contents:
        for target_id, model in (("a", "m"), ("b", "other")):
            response = post_chat(gw, content, model=model)
            assert response.status_code == 200, response.text
            usage = response.json()["usage"]
            assert (usage["prompt_tokens"], usage["completion_tokens"]) == mock_figures(content)
            totals[target_id][0] += usage["prompt_tokens"]
            totals[target_id][1] += usage["completion_tokens"]
    n = len(contents)
    a_row = wait_for_usage(gw, "target", "a", n)
    b_row = wait_for_usage(gw, "target", "b", n)
    assert_row(a_row, requests=n, prompt=totals["a"][0], completion=totals["a"][1], pricing=PRICING)
    assert_row(b_row, requests=n, prompt=totals["b"][0], completion=totals["b"][1], pricing=cheap)
    # By client: both targets' spend added.
    client_row = wait_for_usage(gw, "client", "team-a", 2 * n)
    expected = cost(*totals["a"]) + cost(*totals["b"], pricing=cheap)
    assert abs(client_row["cost_usd"] - expected) <= COST_TOLERANCE, (client_row, expected)
    cli = cli_rows(gw, "client")["team-a"]
    assert abs(cli["cost_usd"] - expected) <= COST_TOLERANCE, (cli, expected)


def test_cached_input_tokens_are_priced_apart(rig, tmp_path):
    upstream = rig.mock()
    gw = rig.gateway(usage_config([target("a", upstream, pricing=PRICING)], data_dir=tmp_path / "data"))
    # An upstream answer reporting cached prompt tokens (OpenAI's prompt_tokens_details.cached_tokens).
    answer = {"id": "chatcmpl-cached", "object": "chat.completion", "created": 1, "model": "m",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200,
                        "prompt_tokens_details": {"cached_tokens": 400}}}
    upstream.faults({"status": 200, "body": answer})
    assert post_chat(gw, "cached").status_code == 200
    row = wait_for_usage(gw, "target", "a", 1)
    assert_row(row, requests=1, prompt=1000, completion=200, cached=400)
    assert abs(row["cost_usd"] - (600 * 2.5 + 400 * 1.25 + 200 * 10) / 1e6) <= COST_TOLERANCE, row


# ------------------------------------------------------------------------------------------- reading it back

def test_admin_usage_needs_the_admin_key_and_filters_by_time(rig, tmp_path):
    upstream = rig.mock()
    gw = rig.gateway(usage_config([target("a", upstream, pricing=PRICING)], data_dir=tmp_path / "data"))
    assert post_chat(gw, "time window").status_code == 200
    wait_for_usage(gw, "client", "team-a", 1)
    for headers in ({}, auth(), {"Authorization": "Bearer not-the-admin-key"}):
        refused = gw.http.get("/admin/usage", params={"group_by": "client"}, headers=headers)
        assert refused.status_code == 401, refused.text

    now = datetime.now(timezone.utc)
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    around = admin_usage(gw, "client", **{"from": iso(now - timedelta(hours=1)), "to": iso(now + timedelta(hours=1))})
    assert rows_by_key(around)["team-a"]["requests"] == 1
    assert around["from"] and around["to"], around
    before = admin_usage(gw, "client", **{"from": "2000-01-01T00:00:00Z", "to": "2000-01-02T00:00:00Z"})
    assert before["rows"] == [], before
    assert cli_rows(gw, "client", "--from", "2000-01-01T00:00:00Z", "--to", "2000-01-02T00:00:00Z") == {}
    assert cli_rows(gw, "client", "--from", iso(now - timedelta(hours=1)))["team-a"]["requests"] == 1

    bad = gw.http.get("/admin/usage", params={"group_by": "colour"}, headers=ADMIN)
    assert bad.status_code == 400, bad.text


# ------------------------------------------------------------------------------------------- 6. secrets, file modes

def test_the_ledger_is_private_and_holds_no_key(rig):
    upstream = rig.mock()
    # No data_dir: the default, <the config file's folder>/data.
    gw = rig.gateway(usage_config([target("a", upstream, pricing=PRICING)],
                                  client_keys=[client_key("team-a"), client_key("team-b")]))
    for key_id in ("team-a", "team-b"):
        assert post_chat(gw, f"private {key_id}", key_id=key_id).status_code == 200
    wait_for_usage(gw, "client", "team-b", 1)
    data_dir = gw.config_path.parent / "data"
    ledger = data_dir / "usage.sqlite3"
    assert ledger.is_file(), sorted(p.name for p in gw.config_path.parent.rglob("*"))
    assert os.stat(ledger).st_mode & 0o777 == 0o600, oct(os.stat(ledger).st_mode)
    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700, oct(os.stat(data_dir).st_mode)
    for side in data_dir.iterdir():  # -wal / -shm / -journal files: never readable by others either
        assert os.stat(side).st_mode & 0o077 == 0, (side, oct(os.stat(side).st_mode))

    outputs = [gw.http.get("/admin/usage", params={"group_by": g}, headers=ADMIN).text
               for g in ("client", "model", "target")]
    for group_by in ("client", "model", "target"):
        for json_output in (True, False):
            run = cli_usage(gw, group_by, json_output=json_output)
            assert run.returncode == 0, run.stdout + run.stderr
            outputs.append(run.stdout + run.stderr)
    gw.stop()  # flushes the ledger
    stored = b"".join(side.read_bytes() for side in data_dir.iterdir() if side.is_file())
    for secret in (GATEWAY_CLIENT_KEY, CLIENT_KEY_B, ADMIN_KEY, MOCK_OPENAI_KEY):
        for text in outputs:
            assert secret not in text, f"a key reached the usage output: {text[:500]}"
        assert secret.encode() not in stored, "a key is stored in the ledger"
    assert os.stat(ledger).st_mode & 0o777 == 0o600
