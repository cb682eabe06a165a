"""Fixtures for the gatewayhost end-to-end suite.

- `mock`: the mock upstream (one process for the whole session).
- `plugins`: the C policy plugins, compiled once into a private 0755 folder.
- `gateway`: the main gateway (module scope), `auth_gateway`: the same config plus client keys.
- `client`: the official `openai` SDK pointed at the main gateway.

Each test is bounded to 15 s by an alarm (`@pytest.mark.time_limit(seconds)` raises it for one test); on a failure
the gateways' stderr is attached to the report.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import tempfile
from pathlib import Path

import pytest

from e2e_support import (
    GATEWAY_CLIENT_KEY,
    Gateway,
    MockUpstream,
    build_plugins,
    gateway_binary,
    main_config,
    make_client,
)

TEST_TIME_LIMIT_SECONDS = 15

# Every client in this process talks to 127.0.0.1 only: never through a proxy.
for _name in list(os.environ):
    if _name.lower().endswith("_proxy"):
        del os.environ[_name]
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

_running_gateways: list[Gateway] = []


def pytest_configure(config):
    config.addinivalue_line("markers", "time_limit(seconds): this test's alarm instead of the default 15 s")


def pytest_sessionstart(session):
    binary = gateway_binary()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        raise pytest.UsageError(
            f"gatewayhost binary not found at {binary}: build it (swift build --product gatewayhost) "
            "or set GATEWAYHOST_BIN")


class _TestTimeout(Exception):
    pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    marker = item.get_closest_marker("time_limit")
    limit = int(marker.args[0]) if marker else TEST_TIME_LIMIT_SECONDS

    def expired(signum, frame):
        raise _TestTimeout(f"test exceeded {limit} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(limit)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for gw in _running_gateways:
            report.sections.append(
                (f"gatewayhost stderr (port {gw.port}, last 20 kB)", gw.stderr_text() or "<empty>"))


# ------------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def mock():
    upstream = MockUpstream()
    yield upstream
    upstream.stop()


@pytest.fixture(scope="session")
def plugins():
    # A private folder: the loader refuses world-writable folders such as /tmp itself.
    root = Path(tempfile.mkdtemp(prefix="gw-e2e-plugins-"))
    yield build_plugins(root / "plugins")
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dead_port():
    """A port bound but never listening, held for the session: connecting to it is refused."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    yield s.getsockname()[1]
    s.close()


def _start(config, plugins, env=None) -> Gateway:
    folder = next(iter(plugins.values())).parent
    gw = Gateway(config, folder, env=env)
    _running_gateways.append(gw)
    return gw


def _stop(gw: Gateway) -> None:
    gw.cleanup()
    _running_gateways.remove(gw)


@pytest.fixture(scope="module")
def gateway(mock, plugins, dead_port):
    gw = _start(main_config(mock.port, dead_port, plugins), plugins)
    yield gw
    _stop(gw)


@pytest.fixture
def fresh_gateway(mock, plugins, dead_port):
    """The main config in a new process: no pooled upstream connections, nothing left from other tests."""
    gw = _start(main_config(mock.port, dead_port, plugins), plugins)
    yield gw
    _stop(gw)


@pytest.fixture(scope="module")
def auth_gateway(mock, plugins, dead_port):
    gw = _start(main_config(mock.port, dead_port, plugins, client_keys=True), plugins,
                env={"GW_KEY_A": GATEWAY_CLIENT_KEY})
    yield gw
    _stop(gw)


@pytest.fixture(scope="module")
def capped_gateway(mock, plugins, dead_port):
    """The main config with a 1 s gateway-wide request timeout (targets allow 60 s by default)."""
    config = main_config(mock.port, dead_port, plugins)
    config["gateway"]["request_timeout_seconds"] = 1
    gw = _start(config, plugins)
    yield gw
    _stop(gw)


@pytest.fixture(scope="module")
def client(gateway):
    c = make_client(gateway)
    yield c
    c.close()
