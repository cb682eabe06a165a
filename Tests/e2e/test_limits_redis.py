"""Limits and budgets shared by several gateway processes through one real Redis (issue 13, `state: {backend:
redis}`).

Each test starts its own `redis-server` (Debian's package) on a free 127.0.0.1 port, without persistence, and ends
it by its pid. Without `redis-server` the tests are skipped, or fail when CI=true (scripts/setup.sh --with-tests
installs it).

- a 60-rpm key hammered through two gateways for ~58 s admits 60 +- 1 requests (E2E_REDIS_RPM_SECONDS shortens
  the run for local work: the count stays 60 for any run shorter than the 60 s window);
- a client budget spent through one replica is refused by the other;
- Redis killed under load: `fail_closed` answers 503 `limit_state_unavailable` at once, `fail_open` serves; Redis
  back on the same port: the gateway reconnects by itself and the limits apply again within seconds.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from operator import itemgetter
from pathlib import Path

import httpx
import pytest

from e2e_support import HTTP_TIMEOUT, assert_openai_error, free_port
from test_limits import assert_quota_refused, assert_rate_limited, request_headers
from test_usage import GATEWAY_CLIENT_KEY, Rig, auth, client_key, post_chat, target, usage_config, wait_for_usage

RPM_SECONDS = float(os.environ.get("E2E_REDIS_RPM_SECONDS", "58"))
EXPENSIVE = {"prompt": 1000, "completion": 1000}  # "hi there": USD 0.005 at the mock's 2 + 3 tokens


# ------------------------------------------------------------------------------------------- redis-server

def redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (Debian: apt-get install redis-server, or scripts/setup.sh --with-tests)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


class RedisServer:
    """One redis-server child process on 127.0.0.1:<port>: no RDB snapshots, no AOF, its files in a private folder.
    `kill` (SIGKILL) and `start` again keep the port, as a restarted Redis would."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="gw-e2e-redis-"))
        self.log_path = self.folder / "redis.log"
        self.proc: subprocess.Popen | None = None
        self.port = 0
        for _ in range(3):  # the free port can be taken between probing and binding
            self.port = free_port()
            try:
                self.start()
                break
            except RuntimeError:
                self.kill()
        else:
            raise RuntimeError(f"redis-server did not start:\n{self.log()}")
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "redis-server is already running"
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.folder), "--daemonize", "no", "--logfile", ""],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=self.folder)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}:\n{self.log()}")
            if self.ping():
                return
            time.sleep(0.02)
        raise RuntimeError(f"redis-server not answering PING within 10 s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except OSError:
            return ""

    def command(self, *args: str) -> bytes:
        """One command, its raw RESP reply (enough for PING and KEYS in a test): the command and a QUIT are sent
        together, Redis answers both and closes the connection, the reply is what came before QUIT's +OK."""
        def encode(*words: str) -> bytes:
            return b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w.encode()), w.encode())
                                                      for w in words)
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(encode(*args) + encode("QUIT"))
            data = b""
            while True:
                piece = s.recv(65536)
                if not piece:
                    break
                data += piece
        assert data.endswith(b"+OK\r\n"), data[-200:]
        return data[:-len(b"+OK\r\n")]

    def ping(self) -> bool:
        try:
            return self.command("PING").startswith(b"+PONG")
        except (OSError, AssertionError):
            return False

    def keys(self, pattern: str = "*") -> list[str]:
        """KEYS `pattern` (bulk strings of a RESP array)."""
        lines = self.command("KEYS", pattern).split(b"\r\n")
        return [lines[i].decode() for i in range(2, len(lines), 2) if lines[i - 1].startswith(b"$")]

    def kill(self) -> None:
        """SIGKILL by pid: connections reset, later ones refused until `start`."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def redis():
    server = RedisServer(redis_binary())
    yield server
    server.stop()


@pytest.fixture
def rig(plugins):
    r = Rig(plugins)
    yield r
    r.close()


def redis_config(targets, redis: RedisServer, tmp_path: Path, name: str, *, on_state_error: str = "fail_closed",
                 **extra) -> dict:
    """A gateway on `redis` with its own ledger folder (`name`); a key prefix per test."""
    state = {"backend": "redis", "url": redis.url, "on_state_error": on_state_error, "key_prefix": "gwtest:"}
    return usage_config(targets, data_dir=tmp_path / name, state=state, **extra)


# ------------------------------------------------------------------------------------------- 60 rpm, two replicas

@pytest.mark.time_limit(120)
def test_a_60_rpm_key_across_two_replicas_admits_60(rig, redis, tmp_path):
    upstream = rig.mock()
    keys = [client_key("team-a", limits={"rpm": 60})]
    a = rig.gateway(redis_config([target("t", upstream)], redis, tmp_path, "a", client_keys=keys))
    b = rig.gateway(redis_config([target("t", upstream)], redis, tmp_path, "b", client_keys=keys))
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    counts = {"a": Counter(), "b": Counter()}
    first_refusal = None
    other = []
    with httpx.Client(base_url=a.base, timeout=HTTP_TIMEOUT, trust_env=False) as ca, \
            httpx.Client(base_url=b.base, timeout=HTTP_TIMEOUT, trust_env=False) as cb:
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < RPM_SECONDS:
            name, c = ("a", ca) if n % 2 == 0 else ("b", cb)
            n += 1
            response = c.post("/v1/chat/completions", json=body, headers=auth())
            counts[name][response.status_code] += 1
            if response.status_code == 429:
                if first_refusal is None:
                    first_refusal = response
                    assert_rate_limited(response, "requests")
                    request_headers(response, 60, remaining=0)
            elif response.status_code != 200:
                other.append((name, response.status_code, response.text[:200]))
            time.sleep(0.01)
        elapsed = time.monotonic() - started
    admitted = counts["a"][200] + counts["b"][200]
    summary = (f"60 rpm across two replicas: {n} requests in {elapsed:.1f} s, admitted {admitted} "
               f"(a {counts['a'][200]}, b {counts['b'][200]}), refused {counts['a'][429] + counts['b'][429]}")
    print(summary)
    assert not other, other[:5]
    assert n >= 120, summary
    assert 59 <= admitted <= 61, summary
    assert counts["a"][200] >= 20 and counts["b"][200] >= 20, summary  # both replicas drew on the one budget
    assert first_refusal is not None and 1 <= int(first_refusal.headers["retry-after"]) <= 60
    assert upstream.completion_count() == admitted
    stored = redis.keys("*")
    assert stored and all(k.startswith("gwtest:") for k in stored), stored
    assert not any(GATEWAY_CLIENT_KEY in k for k in stored), stored


# ------------------------------------------------------------------------------------------- budgets across replicas

def test_budget_spent_on_one_replica_is_refused_on_the_other(rig, redis, tmp_path):
    upstream = rig.mock()
    keys = [client_key("team-a", budget={"usd_per_day": 0.008}), client_key("team-b")]
    a = rig.gateway(redis_config([target("t", upstream, pricing=EXPENSIVE)], redis, tmp_path, "a",
                                 client_keys=keys))
    b = rig.gateway(redis_config([target("t", upstream, pricing=EXPENSIVE)], redis, tmp_path, "b",
                                 client_keys=keys))
    for _ in range(2):  # USD 0.010 spent through a
        assert post_chat(a, "hi there").status_code == 200
    wait_for_usage(a, "client", "team-a", 2)
    error = assert_quota_refused(post_chat(b, "hi there"))
    assert "team-a" in error["message"], error
    assert_quota_refused(post_chat(a, "hi there"))
    assert upstream.completion_count() == 2
    assert post_chat(b, "hi there", key_id="team-b").status_code == 200

    # A third replica started afterwards sees the spend too.
    c = rig.gateway(redis_config([target("t", upstream, pricing=EXPENSIVE)], redis, tmp_path, "c",
                                 client_keys=keys))
    assert_quota_refused(post_chat(c, "hi there"))
    assert upstream.completion_count() == 3


# ------------------------------------------------------------------------------------------- Redis down, Redis back

class Load:
    """Sequential chat requests for team-a (rpm 100000: never limited) in a thread: (start, seconds, status, code)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.results: list[tuple[float, float, int | None, str | None]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        body = {"model": "echo-model", "messages": [{"role": "user", "content": "load"}]}
        with httpx.Client(base_url=self.base, timeout=5.0, trust_env=False) as c:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    response = c.post("/v1/chat/completions", json=body, headers=auth("team-a"))
                    status = response.status_code
                    code = None
                    if status != 200:
                        try:
                            code = response.json()["error"]["code"]
                        except (ValueError, KeyError, TypeError):
                            code = response.text[:100]
                except httpx.HTTPError as error:
                    status, code = None, type(error).__name__
                self.results.append((started, time.monotonic() - started, status, code))
                time.sleep(0.02)

    def __enter__(self) -> "Load":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def _metric_value(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            if series == name or series.startswith(name + "{"):
                total += float(value)
    return total


@pytest.mark.time_limit(60)
@pytest.mark.parametrize("mode", ["fail_closed", "fail_open"])
def test_redis_killed_under_load_then_back(rig, redis, tmp_path, mode):
    keys = [client_key("team-a", limits={"rpm": 100000}), client_key("team-b", limits={"rpm": 3})]
    gw = rig.gateway(redis_config([{"id": "echo", "provider": "echo", "model": "echo-model"}], redis, tmp_path,
                                  "a", on_state_error=mode, client_keys=keys))
    with Load(gw.base) as load:
        time.sleep(1.0)
        killed_at = time.monotonic()
        redis.kill()
        time.sleep(3.0)
    before = [r for r in load.results if r[0] + r[1] < killed_at]
    after = [r for r in load.results if r[0] > killed_at + 0.5]
    print(f"{mode}: {len(load.results)} requests, before the kill {Counter(map(itemgetter(2), before))}, "
          f"after it {Counter((r[2], r[3]) for r in after)}, slowest {max(map(itemgetter(1), load.results)):.3f} s")
    assert before and all(r[2] == 200 for r in before), before[:5]
    assert len(after) >= 20, after
    slow = [r for r in load.results if r[1] >= 2.0]
    assert not slow, f"requests hung while Redis was down: {slow[:5]}"
    if mode == "fail_closed":
        assert all((r[2], r[3]) == (503, "limit_state_unavailable") for r in after), after[:5]
        assert_openai_error(post_chat(gw, "down", model="echo-model"), 503, type_="server_error",
                            code="limit_state_unavailable")
    else:
        assert all(r[2] == 200 for r in after), after[:5]
    scrape = gw.http.get("/metrics").text
    assert _metric_value(scrape, "gatewayhost_limit_state_errors_total") >= 1, \
        [l for l in scrape.splitlines() if "limit_state" in l]

    # Redis back on the same port, empty: the gateway reconnects by itself and team-b's 3 rpm apply again.
    redis.start()
    back_at = time.monotonic()
    served = 0
    refused = None
    deadline = back_at + 10
    while time.monotonic() < deadline:
        response = post_chat(gw, "back", model="echo-model", key_id="team-b")
        if response.status_code == 200:
            served += 1
        elif response.status_code == 429:
            refused = response
            break
        elif mode == "fail_closed" and served == 0:
            assert_openai_error(response, 503, code="limit_state_unavailable")  # not reconnected yet
        else:
            pytest.fail(f"unexpected answer {response.status_code} after Redis came back: {response.text[:300]}")
        time.sleep(0.1)
    recovered = time.monotonic() - back_at
    print(f"{mode}: limits applied again {recovered:.2f} s after Redis came back ({served} served before the 429)")
    assert refused is not None, f"no 429 for a 3-rpm key within 10 s of Redis coming back ({served} served)"
    assert_rate_limited(refused, "requests")
    assert recovered < 5.0, f"the limits applied again only after {recovered:.1f} s"
    if mode == "fail_closed":
        assert served == 3, served  # counted from zero on the empty Redis; 503s are not counted
    else:
        assert served >= 3, served  # served without counting until reconnected, then counted again
    assert post_chat(gw, "still fine", model="echo-model").status_code == 200
    assert any(k.startswith("gwtest:") for k in redis.keys("*"))
