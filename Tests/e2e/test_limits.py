"""Budgets and rate limits on the real binary with the embedded state (issue 13).

- Budgets (client key and pack, per UTC day / month): exhausted -> 429 `insufficient_quota` before any upstream
  call; the spend is in the ledger, so it survives a restart (SIGTERM, and kill -9 after the last second).
- Rate limits: client `rpm`, `tpm` (estimated prompt tokens + max_tokens at admission, the real usage
  afterwards), `max_concurrent`, gateway-wide `limits`, and target `limits` (routing skips a target at its limit;
  the only candidate at its limit -> 429 naming it). Every 429 carries `retry-after` and OpenAI's
  `x-ratelimit-*` headers; so do the successful answers to a key with limits.

Each test starts its own gateway and mock upstream(s); counting what a mock received tells whether a refused
request reached it.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import httpx
import openai
import pytest

from conftest import _stop
from e2e_support import HTTP_TIMEOUT, assert_openai_error
from test_usage import Rig, auth, client_key, post_chat, sdk, target, usage_config, wait_for_usage

# OpenAI's reset durations: "12s", "1m0s", "120ms", "6m0.5s".
RESET = re.compile(r"^(\d+h)?(\d+m)?\d+(\.\d+)?(ms|s)$")
# USD 0.001 a token: "hi there" (2 prompt tokens, 3 completion tokens at the mock) costs USD 0.005.
EXPENSIVE = {"prompt": 1000, "completion": 1000}
REQUEST_COST = 0.005


@pytest.fixture
def rig(plugins):
    r = Rig(plugins)
    yield r
    r.close()


def assert_rate_limited(response: httpx.Response, type_: str = "requests") -> dict:
    """A 429 rate_limit_exceeded of `type_` ("requests" or "tokens") with a whole-second retry-after."""
    error = assert_openai_error(response, 429, type_=type_, code="rate_limit_exceeded", param=None)
    retry_after = response.headers.get("retry-after")
    assert retry_after is not None and retry_after.isdigit(), response.headers
    assert int(retry_after) <= 60, response.headers
    return error


def assert_quota_refused(response: httpx.Response) -> dict:
    return assert_openai_error(response, 429, type_="insufficient_quota", code="insufficient_quota", param=None)


def request_headers(response: httpx.Response, limit: int, remaining: int | None = None) -> None:
    """The x-ratelimit-*-requests trio of `response`."""
    headers = response.headers
    assert headers.get("x-ratelimit-limit-requests") == str(limit), headers
    left = headers.get("x-ratelimit-remaining-requests")
    assert left is not None and left.isdigit(), headers
    if remaining is not None:
        assert int(left) == remaining, headers
    assert RESET.match(headers.get("x-ratelimit-reset-requests", "")), headers


def token_headers(response: httpx.Response, limit: int) -> None:
    headers = response.headers
    assert headers.get("x-ratelimit-limit-tokens") == str(limit), headers
    left = headers.get("x-ratelimit-remaining-tokens")
    assert left is not None and left.isdigit() and int(left) <= limit, headers
    assert RESET.match(headers.get("x-ratelimit-reset-tokens", "")), headers


# ------------------------------------------------------------------------------------------- 3. budgets

@pytest.mark.parametrize("period", ["usd_per_day", "usd_per_month"])
def test_a_client_budget_refuses_before_the_upstream(rig, tmp_path, period):
    upstream = rig.mock()
    gw = rig.gateway(usage_config(
        [target("a", upstream, pricing=EXPENSIVE)], data_dir=tmp_path / "data",
        client_keys=[client_key("team-a", budget={period: 0.008}), client_key("team-b")]))
    client = sdk(gw)
    for _ in range(2):  # 0.005 spent < 0.008: admitted; then 0.010: exhausted
        answer = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi there"}])
        assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (2, 3)
    row = wait_for_usage(gw, "client", "team-a", 2)
    assert abs(row["cost_usd"] - 2 * REQUEST_COST) <= 1e-9, row

    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi there"}])
    assert refused.value.status_code == 429
    assert refused.value.code == "insufficient_quota" and refused.value.type == "insufficient_quota", \
        refused.value.body
    error = assert_quota_refused(post_chat(gw, "hi there"))
    assert "team-a" in error["message"], error
    assert upstream.completion_count() == 2, "a request over budget reached the upstream"
    # Streams and the Responses API are refused the same way; another key is not affected.
    assert_quota_refused(post_chat(gw, "hi there", stream=True))
    assert_quota_refused(gw.http.post("/v1/responses", json={"model": "m", "input": "hi"},
                                      headers=auth()))
    assert upstream.completion_count() == 2
    assert post_chat(gw, "hi there", key_id="team-b").status_code == 200


def test_the_pack_budget_covers_every_client(rig, tmp_path):
    upstream = rig.mock()
    gw = rig.gateway(usage_config(
        [target("a", upstream, pricing=EXPENSIVE)], data_dir=tmp_path / "data",
        client_keys=[client_key("team-a"), client_key("team-b")], budget={"usd_per_day": 0.008}))
    assert post_chat(gw, "hi there", key_id="team-a").status_code == 200
    assert post_chat(gw, "hi there", key_id="team-b").status_code == 200
    wait_for_usage(gw, "client", "team-b", 1)
    for key_id in ("team-b", "team-a"):
        with pytest.raises(openai.RateLimitError) as refused:
            sdk(gw, key_id).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        assert refused.value.code == "insufficient_quota", refused.value.body
    assert upstream.completion_count() == 2


def _spend_then_restart(rig: Rig, tmp_path, how: str) -> None:
    upstream = rig.mock()
    config = usage_config([target("a", upstream, pricing=EXPENSIVE)], data_dir=tmp_path / "data",
                          client_keys=[client_key("team-a", budget={"usd_per_day": 0.008})])
    gw = rig.gateway(config)
    for _ in range(2):
        assert post_chat(gw, "hi there").status_code == 200
    wait_for_usage(gw, "client", "team-a", 2)
    assert_quota_refused(post_chat(gw, "hi there"))
    if how == "kill -9":
        time.sleep(1.5)  # kill -9 loses at most the last second
        os.kill(gw.proc.pid, signal.SIGKILL)
        gw.proc.wait(timeout=5)
    _stop(gw)
    rig.gateways.remove(gw)

    again = rig.gateway(config)  # a new process, the same config and data_dir
    error = assert_quota_refused(post_chat(again, "hi there"))
    assert "team-a" in error["message"], error
    assert upstream.completion_count() == 2
    row = wait_for_usage(again, "client", "team-a", 2)
    assert abs(row["cost_usd"] - 2 * REQUEST_COST) <= 1e-9, row


def test_spend_survives_a_restart(rig, tmp_path):
    _spend_then_restart(rig, tmp_path, "SIGTERM")


def test_spend_survives_kill_9_after_a_second(rig, tmp_path):
    _spend_then_restart(rig, tmp_path, "kill -9")


# ------------------------------------------------------------------------------------------- 4. rate limits

def test_client_rpm_refuses_the_sixth_request_with_openai_headers(rig, tmp_path):
    upstream = rig.mock()
    gw = rig.gateway(usage_config([target("a", upstream)], data_dir=tmp_path / "data",
                                  client_keys=[client_key("team-a", limits={"rpm": 5}), client_key("team-b")]))
    for n in range(5):
        response = post_chat(gw, f"burst {n}")
        assert response.status_code == 200, response.text
        request_headers(response, 5, remaining=4 - n)
    refused = post_chat(gw, "burst 5")
    error = assert_rate_limited(refused, "requests")
    request_headers(refused, 5, remaining=0)
    assert int(refused.headers["retry-after"]) >= 1, refused.headers
    assert "team-a" in error["message"] and "Limit 5" in error["message"], error
    assert upstream.completion_count() == 5, "a refused request reached the upstream"

    # The SDK raises its RateLimitError with OpenAI's code; the headers are on its response.
    with pytest.raises(openai.RateLimitError) as raised:
        sdk(gw).chat.completions.create(model="m", messages=[{"role": "user", "content": "again"}])
    assert raised.value.code == "rate_limit_exceeded", raised.value.body
    assert raised.value.response.headers["x-ratelimit-limit-requests"] == "5"
    # Streams are counted by the same limit; another key has its own (none here).
    assert_rate_limited(post_chat(gw, "stream", stream=True))
    response = post_chat(gw, "other key", key_id="team-b")
    assert response.status_code == 200 and "x-ratelimit-limit-requests" not in response.headers
    assert upstream.completion_count() == 6


def test_client_tpm_admits_by_estimate_and_reconciles_with_the_real_usage(rig, tmp_path):
    upstream = rig.mock()
    # The big request: 300 prompt words + max_tokens 1000 -> an estimate between 1300 and 1600 whatever the
    # tokenizer; the mock reports 300 + 301 = 601 tokens.
    limit = 1750
    gw = rig.gateway(usage_config([target("a", upstream)], data_dir=tmp_path / "data",
                                  client_keys=[client_key("team-a", limits={"tpm": limit})]))
    big = " ".join(["hello"] * 300)
    first = post_chat(gw, big, max_tokens=1000)
    assert first.status_code == 200, first.text
    assert first.json()["usage"]["prompt_tokens"] == 300
    token_headers(first, limit)
    time.sleep(0.2)  # the correction by the real usage happens after the answer

    # 601 used + >= 1300 estimated > 1750: refused, whether or not the first was corrected.
    refused = post_chat(gw, big, max_tokens=1000)
    error = assert_rate_limited(refused, "tokens")
    token_headers(refused, limit)
    assert "team-a" in error["message"], error
    assert upstream.completion_count() == 1

    # 601 used + ~905 estimated <= 1750 < the uncorrected ~1300-1600 + ~905: admitted only if the first request
    # now counts its real 601 tokens.
    small = post_chat(gw, "a short question here", max_tokens=900)
    assert small.status_code == 200, \
        f"refused: the first request still counts its estimate, not its real usage: {small.text}"
    assert upstream.completion_count() == 2


def test_client_max_concurrent_admits_two_at_once(rig, tmp_path):
    upstream = rig.mock(delay_ms=1500)
    gw = rig.gateway(usage_config([target("a", upstream)], data_dir=tmp_path / "data",
                                  client_keys=[client_key("team-a", limits={"max_concurrent": 2})]))
    barrier = threading.Barrier(4)
    results: list[tuple[float, httpx.Response]] = []
    lock = threading.Lock()

    def one(n: int) -> None:
        with httpx.Client(base_url=gw.base, timeout=HTTP_TIMEOUT, trust_env=False) as c:
            barrier.wait()
            started = time.monotonic()
            response = c.post("/v1/chat/completions", headers=auth(),
                              json={"model": "m", "messages": [{"role": "user", "content": f"slow {n}"}]})
            with lock:
                results.append((time.monotonic() - started, response))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(results) == 4
    served = [(seconds, r) for seconds, r in results if r.status_code == 200]
    refused = [(seconds, r) for seconds, r in results if r.status_code != 200]
    assert len(served) == 2 and len(refused) == 2, [(s, r.status_code, r.text[:200]) for s, r in results]
    for seconds, response in refused:
        assert_rate_limited(response, "requests")
        assert seconds < 1.0, f"a refused request waited {seconds:.2f} s (for a slot?) instead of failing at once"
    for seconds, _ in served:
        assert seconds >= 1.4
    assert upstream.completion_count() == 2
    # The slots are free again.
    upstream.settings(delay_ms=0)
    assert post_chat(gw, "after").status_code == 200


def test_global_limits_cover_every_client(rig, tmp_path):
    upstream = rig.mock()
    gw = rig.gateway(usage_config([target("a", upstream)], data_dir=tmp_path / "data",
                                  client_keys=[client_key("team-a"), client_key("team-b")], limits={"rpm": 3}))
    for key_id in ("team-a", "team-a", "team-b"):
        assert post_chat(gw, "global", key_id=key_id).status_code == 200
    for key_id in ("team-b", "team-a"):
        refused = post_chat(gw, "global", key_id=key_id)
        assert_rate_limited(refused, "requests")
        request_headers(refused, 3, remaining=0)
    assert upstream.completion_count() == 3


def test_a_target_at_its_limit_is_skipped_for_another(rig, tmp_path):
    a, b = rig.mock(), rig.mock()
    gw = rig.gateway(usage_config([target("a", a, limits={"rpm": 2}), target("b", b)], data_dir=tmp_path / "data"))
    served = []
    for n in range(4):
        response = post_chat(gw, f"route {n}")
        assert response.status_code == 200, response.text
        served.append((response.headers.get("x-gatewayhost-target"), response.headers.get("x-gatewayhost-attempts")))
    assert served == [("a", "1"), ("a", "1"), ("b", "1"), ("b", "1")], served
    assert (a.completion_count(), b.completion_count()) == (2, 2)


def test_the_only_target_at_its_limit_is_named_in_a_429(rig, tmp_path):
    upstream = rig.mock()
    gw = rig.gateway(usage_config([target("solo", upstream, limits={"rpm": 2})], data_dir=tmp_path / "data"))
    for _ in range(2):
        assert post_chat(gw, "solo").status_code == 200
    refused = post_chat(gw, "solo")
    error = assert_rate_limited(refused, "requests")
    assert "solo" in error["message"], error
    assert refused.headers.get("x-ratelimit-limit-requests") == "2", refused.headers
    assert upstream.completion_count() == 2
