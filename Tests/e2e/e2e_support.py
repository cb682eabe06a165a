"""Helpers for the gatewayhost end-to-end tests: processes, configs, raw HTTP, SSE and error checks.

Everything here talks to 127.0.0.1 only. The gateway and the mock upstream are real child processes; they
are always ended by their own pid.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import openai

REPO = Path(__file__).resolve().parents[2]
MOCK_SCRIPT = REPO / "Tests" / "mock_upstream" / "mock_upstream.py"
ABI_INCLUDE = REPO / "Sources" / "PolicyABI" / "include"
PLUGIN_SOURCES = {
    "keyword_blocklist": REPO / "Plugins" / "Examples" / "keyword-blocklist" / "keyword_blocklist.c",
    "redact_secret": REPO / "Tests" / "GatewayHostTests" / "Fixtures" / "plugins" / "redact_secret.c",
}

# Upstream keys the gateway reads from its environment (never real keys).
MOCK_OPENAI_KEY = "sk-mock-upstream-openai-0123456789"
MOCK_AZURE_KEY = "azure-mock-upstream-key-9876543210"
GATEWAY_CLIENT_KEY = "gw-client-key-team-a-5555"
UNSET_ENV = "GATEWAYHOST_E2E_DEFINITELY_UNSET_KEY"

# A normal chat request; bad-input tests check the gateway still serves it after each case.
HEALTHY_MODEL = "echo-model"

# Timeouts for every client the tests use: a hang must fail the test, never stall the suite.
HTTP_TIMEOUT = 10.0


def gateway_binary() -> Path:
    return Path(os.environ.get("GATEWAYHOST_BIN", REPO / ".build" / "debug" / "gatewayhost"))


def artifacts_dir() -> Path:
    """Where tests leave what docs/operations.md shows (a scrape, log lines, a trace, screenshots): gitignored."""
    folder = Path(os.environ.get("GATEWAYHOST_ARTIFACTS") or REPO / "Tests" / "e2e" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_port() -> int:
    """A port nobody listens on right now (bind to 0, read, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request_id(prefix: str = "e2e") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


# ------------------------------------------------------------------------------------------- config (YAML)

def _yaml_scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    # JSON string escapes are valid YAML double-quoted escapes.
    return json.dumps(str(value))


def to_yaml(value, indent: int = 0) -> str:
    """Block-style YAML for dicts/lists of scalars (what a hand-written policy-config.yaml looks like)."""
    pad = " " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(item, indent + 2))
            elif isinstance(item, (dict, list)):
                lines.append(f"{pad}{key}: {'{}' if isinstance(item, dict) else '[]'}")
            else:
                lines.append(f"{pad}{key}: {_yaml_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                body = to_yaml(item, indent + 2).lstrip()
                lines.append(f"{pad}- {body}")
            else:
                lines.append(f"{pad}- {_yaml_scalar(item)}")
    else:
        lines.append(pad + _yaml_scalar(value))
    return "\n".join(lines)


def openai_target(target_id: str, model: str, base: str, **extra) -> dict:
    target = {"id": target_id, "provider": "openai", "model": model, "base_url": base,
              "secret_key_ref": {"env": "MOCK_OPENAI_KEY"}}
    target.update(extra)
    return target


def main_config(mock_port: int, dead_port: int, plugins: dict[str, Path], client_keys: bool = False) -> dict:
    """The config most tests run: two policies, one target per mock behaviour, echo, Azure, dead and keyless targets.

    Routing picks the target whose `model` or `id` equals the request's model; asking by id makes the gateway
    rewrite the upstream body's model to the target's model (e.g. `hang-1s` -> `mock-hang`).
    """
    base = f"http://127.0.0.1:{mock_port}/v1"
    targets = [
        openai_target("mock-openai", "gpt-4o-mini", base),
        {"id": "mock-azure", "provider": "azure-openai", "model": "my-deployment",
         "base_url": f"http://127.0.0.1:{mock_port}", "api_version": "2024-10-21",
         "secret_key_ref": {"env": "MOCK_AZURE_KEY"}},
        {"id": "echo", "provider": "echo", "model": HEALTHY_MODEL},
        openai_target("errors-500", "mock-500", base),
        openai_target("errors-429", "mock-429", base),
        openai_target("errors-400", "mock-400", base),
        openai_target("cut", "mock-cut", base),
        openai_target("long", "mock-long", base),
        openai_target("big", "mock-big", base),
        openai_target("drip", "mock-drip", base),
        # Answers after 3 s (default 60 s timeout): a pending upstream request that is neither dead nor fast.
        openai_target("slow", "mock-slow", base),
        # 0.5 s between events under a 1 s idle timeout: must never be cut.
        openai_target("drip-idle-1s", "mock-drip", base, stream_timeout_seconds=1),
        # Silence: the 1 s (total / idle) timeout must fire.
        openai_target("hang-1s", "mock-hang", base, timeout_seconds=1, stream_timeout_seconds=1),
        # Nothing listens there (a bound, never-listening socket): connection refused.
        openai_target("dead", "dead-model", f"http://127.0.0.1:{dead_port}/v1", timeout_seconds=3),
        # Its key's environment variable is unset: the target exists but is unusable (503).
        {"id": "no-key", "provider": "openai", "model": "needs-key", "base_url": base,
         "secret_key_ref": {"env": UNSET_ENV}},
    ]
    config = {
        "pack": {"name": "e2e", "version": "1.0.0"},
        "policies": {"chain": ["block-words", "redact"]},
        "policy": {
            "block-words": {
                "plugin": {"file": str(plugins["keyword_blocklist"])},
                "keywords": ["forbidden"],
                "message": "Request blocked: forbidden word",
            },
            "redact": {
                "plugin": {"file": str(plugins["redact_secret"]), "on_error": "fail_closed", "timeout_ms": 500},
            },
        },
        "providers": {"strategy": "single", "targets": targets},
        "gateway": {"max_body_bytes": 65536},
    }
    if client_keys:
        config["gateway"]["client_keys"] = [{"id": "team-a", "secret_key_ref": {"env": "GW_KEY_A"}}]
    return config


# ------------------------------------------------------------------------------------------- processes

def _scrubbed_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment for child processes: no proxies (curl would honour them), no real provider keys."""
    env = {k: v for k, v in os.environ.items()
           if not (k.lower().endswith("_proxy")
                   or k.upper().startswith(("OPENAI_", "AZURE_", "GROQ_", "XAI_", "AWS_", "ANTHROPIC_", "GEMINI_")))}
    env.pop(UNSET_ENV, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


def _end_process(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


_KEEP = object()


class MockUpstream:
    """One mock upstream process and its introspection endpoints.

    Each instance is its own process on its own port with its own request log, faults and settings, so a test can
    run several (one per routing target) and kill one (`kill`, SIGKILL)."""

    def __init__(self, delay_ms: float = 0) -> None:
        command = [sys.executable, str(MOCK_SCRIPT), "--port", "0"]
        if delay_ms:
            command += ["--delay-ms", str(delay_ms)]
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_scrubbed_env({}), text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("LISTENING "):
            _end_process(self.proc)
            raise RuntimeError(f"mock upstream did not start (first line: {line!r})")
        self.port = int(line.split()[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self.http = httpx.Client(base_url=self.base, timeout=HTTP_TIMEOUT, trust_env=False)

    def requests(self) -> list[dict]:
        return self.http.get("/__mock/requests").json()

    def requests_with_id(self, rid: str) -> list[dict]:
        return [r for r in self.requests() if r["headers"].get("x-request-id") == rid]

    def one_request(self, rid: str) -> dict:
        seen = self.requests_with_id(rid)
        assert len(seen) == 1, f"the mock saw {len(seen)} requests with x-request-id {rid}, expected 1"
        return seen[0]

    def closed(self) -> list[dict]:
        return self.http.get("/__mock/closed").json()

    def script(self, rid: str, text: str, pieces: list[int] | None = None, ascii: bool = False) -> None:
        """Model `mock-pieces` answers requests with x-request-id `rid` with `text`, streamed in `pieces`
        (lengths in characters); non-ASCII as raw UTF-8 in the JSON, or \\u-escaped with `ascii`."""
        body = {"request_id": rid, "text": text, "ascii": ascii}
        if pieces is not None:
            body["pieces"] = pieces
        response = self.http.post("/__mock/script", json=body)
        assert response.status_code == 200, response.text

    # -- routing tests: completions seen, scripted faults, settings

    def completions(self) -> list[dict]:
        """The chat / Responses requests received (health probes and other GETs left out), oldest first."""
        return [r for r in self.requests()
                if r["method"] == "POST" and r["path"].rstrip("/").endswith(("/chat/completions", "/responses"))]

    def completion_count(self) -> int:
        return len(self.completions())

    def probes(self) -> list[dict]:
        """The GET .../models requests received (health probes)."""
        return [r for r in self.requests() if r["method"] == "GET" and r["path"].rstrip("/").endswith("/models")]

    def faults(self, *queue: dict, always=_KEEP) -> None:
        """Appends `queue` to the instance's fault queue; `always` sets (a fault) or clears (None) the fault applied
        while the queue is empty. See POST /__mock/faults in mock_upstream.py for the fault objects."""
        body: dict = {}
        if queue:
            body["queue"] = list(queue)
        if always is not _KEEP:
            body["always"] = always
        response = self.http.post("/__mock/faults", json=body)
        assert response.status_code == 200, response.text

    def clear_faults(self) -> None:
        response = self.http.delete("/__mock/faults")
        assert response.status_code == 200, response.text

    def settings(self, **values) -> dict:
        """delay_ms (every answer waits that long), models_status (GET .../models answers that status)."""
        response = self.http.post("/__mock/settings", json=values)
        assert response.status_code == 200, response.text
        return response.json()

    def kill(self) -> None:
        """SIGKILL: the upstream dies at once, open connections reset, later ones refused."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def stop(self) -> None:
        self.http.close()
        _end_process(self.proc)


class Gateway:
    """One gatewayhost process on a free 127.0.0.1 port, serving `config` (a dict written as YAML)."""

    def __init__(self, config: dict, plugins_dir: Path, env: dict[str, str] | None = None) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="gw-e2e-"))
        self.config_path = self.workdir / "policy-config.yaml"
        self.config_path.write_text(to_yaml(config) + "\n")
        self.stderr_path = self.workdir / "stderr.log"
        self.env = _scrubbed_env({"MOCK_OPENAI_KEY": MOCK_OPENAI_KEY, "MOCK_AZURE_KEY": MOCK_AZURE_KEY,
                                  **(env or {})})
        self.plugins_dir = plugins_dir
        self.proc: subprocess.Popen | None = None
        last_error = None
        for _ in range(3):  # the free port can be taken between probing and binding: try another
            try:
                self._start()
                break
            except RuntimeError as error:
                last_error = error
                self.stop()
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise last_error
        self.base = f"http://127.0.0.1:{self.port}"
        self.http = httpx.Client(base_url=self.base, timeout=HTTP_TIMEOUT, trust_env=False)

    def _start(self) -> None:
        self.port = free_port()
        binary = gateway_binary()
        self._stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [str(binary), "--config", str(self.config_path), "--listen", f"127.0.0.1:{self.port}",
             "--plugins-dir", str(self.plugins_dir)],
            stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=self._stderr, env=self.env, cwd=self.workdir)
        deadline = time.monotonic() + 15
        with httpx.Client(timeout=1.0, trust_env=False) as probe:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"gatewayhost exited with {self.proc.returncode}:\n{self.stderr_text()}")
                try:
                    if probe.get(f"http://127.0.0.1:{self.port}/readyz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        raise RuntimeError(f"gatewayhost not ready within 15 s:\n{self.stderr_text()}")

    def stderr_text(self, limit: int = 20000) -> str:
        try:
            data = self.stderr_path.read_bytes()
        except OSError:
            return ""
        return data[-limit:].decode("utf-8", "replace")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None:
            _end_process(self.proc)
        if getattr(self, "_stderr", None):
            self._stderr.close()
        if getattr(self, "http", None):
            self.http.close()

    def cleanup(self) -> None:
        """Stops the process and removes its folder (config, stderr log)."""
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- requests

    def chat(self, content: str = "ping", model: str = HEALTHY_MODEL, **fields) -> httpx.Response:
        body = {"model": model, "messages": [{"role": "user", "content": content}], **fields}
        return self.http.post("/v1/chat/completions", json=body)

    def assert_healthy(self) -> None:
        """The gateway still serves a normal request (after a bad one)."""
        assert self.alive(), f"gatewayhost died:\n{self.stderr_text()}"
        word = uuid.uuid4().hex[:8]
        response = self.chat(f"still alive {word}")
        assert response.status_code == 200, response.text
        assert response.json()["choices"][0]["message"]["content"] == f"echo: still alive {word}"


# ------------------------------------------------------------------------------------------- plugins

def build_plugins(folder: Path) -> dict[str, Path]:
    """Compiles the C plugins the config names into `folder` (0755, files 0644 as the loader demands)."""
    folder.mkdir(mode=0o755, parents=True, exist_ok=True)
    os.chmod(folder, 0o755)
    built = {}
    for name, source in PLUGIN_SOURCES.items():
        output = folder / f"{name}.so"
        subprocess.run(
            ["cc", "-std=c11", "-shared", "-fPIC", "-O2", "-fvisibility=hidden", "-I", str(ABI_INCLUDE),
             "-I", str(REPO / "Plugins" / "common"), "-o", str(output), str(source)], check=True, capture_output=True, timeout=120)
        os.chmod(output, 0o644)
        built[name] = output
    return built


# ------------------------------------------------------------------------------------------- SSE & errors

def parse_sse(text: str) -> list[dict]:
    """SSE text -> [{"event": name or None, "data": str}], comments skipped."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith(":") or not line:
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        if name is not None or data:
            events.append({"event": name, "data": "\n".join(data)})
    return events


def chat_stream_text(events: list[dict]) -> str:
    text = []
    for event in events:
        if event["data"] == "[DONE]" or event["event"] == "error":
            continue
        for choice in json.loads(event["data"]).get("choices", []):
            text.append(choice.get("delta", {}).get("content") or "")
    return "".join(text)


def assert_openai_error(response: httpx.Response, status: int, *, type_: str | None = None,
                        code: str | None = None, param: str | None = "<any>") -> dict:
    """`response` is an OpenAI-style error: the status, JSON content type, and error.{message,type,param,code}."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text[:500]}"
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    body = response.json()
    return assert_error_body(body, type_=type_, code=code, param=param)


def assert_error_body(body, *, type_: str | None = None, code: str | None = None, param: str | None = "<any>") -> dict:
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), body
    error = body["error"]
    for key in ("message", "type", "param", "code"):
        assert key in error, f"error.{key} missing in {body}"
    assert isinstance(error["message"], str) and error["message"], body
    assert isinstance(error["type"], str) and error["type"], body
    if type_ is not None:
        assert error["type"] == type_, body
    if code is not None:
        assert error["code"] == code, body
    if param != "<any>":
        assert error["param"] == param, body
    return error


def make_client(gw: Gateway, api_key: str = "sk-client-not-checked") -> openai.OpenAI:
    """The official SDK on the gateway. No retries: a 429/5xx must surface as its exception at once."""
    return openai.OpenAI(base_url=f"{gw.base}/v1", api_key=api_key, max_retries=0, timeout=HTTP_TIMEOUT)
