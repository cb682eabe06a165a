"""The audit-logger under a crash: records survive a kill -9 of the gateway under load.

The gateway runs a chain of one policy, the C audit-logger (Plugins/audit-logger, compiled here), in front of
the built-in echo target. Eight threads send requests, each with its own x-request-id; the gateway is killed
with SIGKILL mid-load. Then `gatewayhost audit verify` must find the chain intact up to the last complete line
(exit 0, or exit 1 only for a torn LAST line), and every request that got a 200 must have its record: the
gateway answers only after exchange_end returned, and a completed write(2) survives the death of the process.
A restart on the same folder must continue the chain.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from e2e_support import ABI_INCLUDE, HEALTHY_MODEL, REPO, Gateway, gateway_binary, request_id

AUDIT_SOURCES = REPO / "Plugins" / "audit-logger"
THREADS = 8
# Kill once this many requests succeeded (or after KILL_AFTER_SECONDS), so the kill lands mid-load.
KILL_AFTER_OK = 400
KILL_AFTER_SECONDS = 3.0


@pytest.fixture(scope="module")
def audit_plugin():
    """audit-logger.so in a private 0755 folder, file 0644 (what the loader demands)."""
    root = Path(tempfile.mkdtemp(prefix="gw-e2e-audit-"))
    folder = root / "plugins"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    output = folder / "audit-logger.so"
    sources = sorted(str(p) for p in AUDIT_SOURCES.glob("*.c"))
    subprocess.run(
        ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-fPIC", "-fvisibility=hidden", "-shared",
         "-I", str(ABI_INCLUDE), "-I", str(ABI_INCLUDE.parents[2] / "Plugins" / "common"), "-o", str(output), *sources], check=True, capture_output=True, timeout=120)
    os.chmod(output, 0o644)
    yield output
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def audit_dir():
    folder = Path(tempfile.mkdtemp(prefix="gw-e2e-auditlog-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def audit_config(plugin: Path, folder: Path) -> dict:
    return {
        "pack": {"name": "e2e-audit", "version": "1.0.0"},
        "policies": {"chain": ["audit-logger"]},
        "policy": {
            "audit-logger": {
                # A generous budget: under this load the record must be written before the answer, not given up on.
                "plugin": {"file": str(plugin), "timeout_ms": 5000},
                "path": str(folder),
            },
        },
        "providers": {"strategy": "single", "targets": [{"id": "echo", "provider": "echo", "model": HEALTHY_MODEL}]},
    }


def verify(files: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([str(gateway_binary()), "audit", "verify", *map(str, files)],
                          capture_output=True, text=True, timeout=60)


def audit_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("audit-*.jsonl"))


def complete_records(files: list[Path]) -> list[dict]:
    """Every line that is a whole JSON record (a torn last line is not)."""
    records = []
    for path in files:
        for line in path.read_bytes().split(b"\n"):
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


class Load:
    """THREADS clients posting chat requests until stopped; remembers which request ids got a 200."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.ok_ids: list[str] = []
        self.other_statuses: list[int] = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(THREADS)]

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=10.0, trust_env=False) as http:
            while not self.stop.is_set():
                rid = request_id("audit")
                body = {"model": HEALTHY_MODEL, "messages": [{"role": "user", "content": "hello " + rid}]}
                try:
                    response = http.post("/v1/chat/completions", json=body, headers={"x-request-id": rid})
                except httpx.HTTPError:
                    if self.stop.is_set():
                        return
                    time.sleep(0.01)  # the gateway is gone (killed): nothing more to count
                    continue
                with self.lock:
                    if response.status_code == 200:
                        self.ok_ids.append(rid)
                    else:
                        self.other_statuses.append(response.status_code)

    def ok_count(self) -> int:
        with self.lock:
            return len(self.ok_ids)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)


def assert_chain_intact_up_to_last_complete_line(result: subprocess.CompletedProcess, files: list[Path]) -> None:
    output = result.stdout.strip()
    if result.returncode == 0:
        assert all(line.endswith("chain intact") for line in output.splitlines()), output
        return
    # The only acceptable failure: the very last line of the newest file was cut by the kill.
    assert result.returncode == 1, f"exit {result.returncode}: {output}\n{result.stderr}"
    last = files[-1]
    line_count = len(last.read_bytes().rstrip(b"\n").split(b"\n"))
    expected = (f"{last}:{line_count}: torn line (incomplete record, e.g. after a crash): "
                f"the chain is intact up to line {line_count - 1}")
    assert output.splitlines()[-1] == expected, output


def test_records_survive_kill_9_under_load(audit_plugin, audit_dir):
    gw = Gateway(audit_config(audit_plugin, audit_dir), audit_plugin.parent)
    load = Load(gw.base)
    try:
        load.start()
        deadline = time.monotonic() + KILL_AFTER_SECONDS
        while load.ok_count() < KILL_AFTER_OK and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gw.alive(), gw.stderr_text()
        os.kill(gw.proc.pid, signal.SIGKILL)  # mid-load: requests are in flight
        gw.proc.wait(timeout=10)
        load.join()
    finally:
        load.stop.set()
        gw.cleanup()

    assert load.ok_count() > 50, f"too little load before the kill ({load.ok_count()} answers)"
    assert not load.other_statuses, f"unexpected statuses before the kill: {sorted(set(load.other_statuses))}"
    files = audit_files(audit_dir)
    assert files, f"no audit file in {audit_dir}"

    result = verify(files)
    assert_chain_intact_up_to_last_complete_line(result, files)

    records = complete_records(files)
    logged = {record["request_id"] for record in records}
    missing = [rid for rid in load.ok_ids if rid not in logged]
    # Every answered request was logged (exchange_end returns before the answer is sent); requests still in
    # flight at the kill may or may not have their record.
    assert not missing, f"{len(missing)} of {load.ok_count()} answered requests have no audit record"
    assert len(records) >= load.ok_count()
    print(f"audit crash: {load.ok_count()} answered before the kill, {len(records)} records, "
          f"verify exit {result.returncode}: {result.stdout.strip().splitlines()[-1]}")
    for record in records[:5]:
        assert record["status"] == 200 and record["end_reason"] == "completed" and record["target"] == "echo"
        assert "hello" not in json.dumps(record), "the request text must never reach the audit log"

    # A restart on the same folder continues the chain from the last complete record.
    gw = Gateway(audit_config(audit_plugin, audit_dir), audit_plugin.parent)
    try:
        for _ in range(5):
            assert gw.chat("after restart").status_code == 200
    finally:
        gw.cleanup()
    files = audit_files(audit_dir)
    result = verify(files)
    output = result.stdout.strip()
    if result.returncode == 0:
        assert output.splitlines()[-1].endswith(f"{len(records) + 5} records, chain intact") or len(files) > 1, output
    else:
        # The torn line stays reported, and the records after it must continue the chain.
        assert "torn line" in output and "continue the chain intact" in output, output
    assert len(complete_records(files)) == len(records) + 5
