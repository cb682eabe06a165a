"""The data-routing policy plugin (Plugins/data-routing) on the real binary: it excludes candidate targets that do
not meet its data requirements (PolicyABI 1.1 candidate_count / get_candidate / exclude_candidate) and, when no
compliant target is left, blocks (409 no_compliant_provider) or leaves the answer to routing (503
no_available_target).

Two mock upstreams, one per target, so each mock's request log tells which target served: `plain` (no data policy
declared, first in fallback order: without the policy it serves everything) and `zdr-eu` (zdr: true, region eu).
A third target, `plain-only`, is the only one for model `plain-model`.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import _start, _stop
from e2e_support import (
    ABI_INCLUDE,
    REPO,
    MockUpstream,
    assert_openai_error,
    chat_stream_text,
    gateway_binary,
    openai_target,
    parse_sse,
    to_yaml,
)

PLUGIN_DIR = REPO / "Plugins" / "data-routing"
# The plugin's config reader is the plugins' shared pab_json.h, found through -I (as
# scripts/install-plugins.sh builds it).
PAB_JSON_DIR = REPO / "Plugins" / "common"


@pytest.fixture(scope="module")
def data_routing_plugin(plugins):
    folder = next(iter(plugins.values())).parent
    output = folder / "data-routing.so"
    subprocess.run(
        ["cc", "-std=c11", "-shared", "-fPIC", "-O2", "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror",
         "-I", str(ABI_INCLUDE), "-I", str(ABI_INCLUDE.parents[2] / "Plugins" / "common"), "-I", str(PAB_JSON_DIR), "-o", str(output),
         *map(str, sorted(PLUGIN_DIR.glob("dr_*.c")))], check=True, capture_output=True, timeout=120)
    os.chmod(output, 0o644)
    return output


@pytest.fixture
def upstreams():
    plain, zdr = MockUpstream(), MockUpstream()
    yield plain, zdr
    plain.stop()
    zdr.stop()


@pytest.fixture
def gateways():
    started = []

    def start(config, plugins):
        gw = _start(config, plugins)
        started.append(gw)
        return gw

    yield start
    for gw in started:
        _stop(gw)


def config(upstreams, plugin_path, policy: dict | None) -> dict:
    plain, zdr = upstreams
    targets = [
        openai_target("plain", "m", f"{plain.base}/v1"),
        openai_target("zdr-eu", "m", f"{zdr.base}/v1", zdr=True, region="eu"),
        openai_target("plain-only", "plain-model", f"{plain.base}/v1"),
    ]
    result = {
        "pack": {"name": "data-routing-e2e", "version": "1.0.0"},
        "policies": {"chain": []},
        "providers": {"strategy": "fallback", "max_retries": 0, "targets": targets},
        "gateway": {"max_body_bytes": 65536, "request_timeout_seconds": 30},
    }
    if policy is not None:
        result["policies"]["chain"] = ["data-routing"]
        result["policy"] = {"data-routing": {"plugin": {"file": str(plugin_path)}, **policy}}
    return result


def served_by(response) -> str | None:
    return response.headers.get("x-gatewayhost-target")


def test_requests_go_only_to_the_zero_data_retention_target(upstreams, plugins, data_routing_plugin, gateways):
    plain, zdr = upstreams
    # Without the policy, fallback order sends everything to the undeclared target: the policy is what moves it.
    bare = gateways(config(upstreams, data_routing_plugin, None), plugins)
    response = bare.chat("control", model="m")
    assert response.status_code == 200 and served_by(response) == "plain", response.text
    assert plain.completion_count() == 1

    gw = gateways(config(upstreams, data_routing_plugin,
                         {"require_zero_data_retention": True, "log_provider_selection": True}), plugins)
    for i in range(4):
        response = gw.chat(f"hello {i}", model="m")
        assert response.status_code == 200, response.text
        assert served_by(response) == "zdr-eu", response.headers
    # A stream takes the same route (candidates are decided in on_request, before any upstream call).
    response = gw.chat("stream me", model="m", stream=True)
    assert response.status_code == 200 and served_by(response) == "zdr-eu", response.text
    assert chat_stream_text(parse_sse(response.text))

    assert plain.completion_count() == 1, "only the control request may reach the undeclared target"
    bodies = [json.loads(r["body"]) for r in zdr.completions()]
    assert len(bodies) == 5
    assert all(body["store"] is False for body in bodies), bodies  # the gateway's own ZDR handling still applies

    # log_provider_selection: one line per candidate verdict, ids and reasons only.
    log = gw.stderr_text()
    assert "target 'plain' (openai, region none): excluded: no data policy declared" in log, log[-3000:]
    assert "target 'zdr-eu' (openai, region eu): compliant" in log, log[-3000:]
    assert "hello 0" not in log and "stream me" not in log, "request content must never be logged"


def test_no_compliant_target_blocks_with_409(upstreams, plugins, data_routing_plugin, gateways):
    plain, zdr = upstreams
    gw = gateways(config(upstreams, data_routing_plugin, {"require_zero_data_retention": True}), plugins)
    response = gw.chat("x", model="plain-model")
    error = assert_openai_error(response, 409, type_="policy_violation", code="no_compliant_provider")
    assert error.get("policy") == "data-routing", error
    assert "1 candidate target(s) excluded (no data policy declared: 1)" in error["message"], error
    assert "plain-only" not in error["message"], "the client never learns target ids"
    # Streams are refused the same way, before any header is sent.
    response = gw.chat("x", model="plain-model", stream=True)
    assert_openai_error(response, 409, type_="policy_violation", code="no_compliant_provider")
    assert plain.completion_count() == 0 and zdr.completion_count() == 0

    # Only a region requirement: both targets fail it (one is in eu, the other names no region).
    gw = gateways(config(upstreams, data_routing_plugin, {"allowed_regions": ["us"]}), plugins)
    error = assert_openai_error(gw.chat("x", model="m"), 409, code="no_compliant_provider")
    assert "2 candidate target(s) excluded (region not allowed: 2)" in error["message"], error
    assert plain.completion_count() == 0 and zdr.completion_count() == 0


def test_no_compliant_target_with_allow_is_routings_503(upstreams, plugins, data_routing_plugin, gateways):
    plain, zdr = upstreams
    gw = gateways(config(upstreams, data_routing_plugin,
                         {"require_zero_data_retention": True, "on_no_compliant_provider": "allow"}), plugins)
    response = gw.chat("x", model="plain-model")
    error = assert_openai_error(response, 503, type_="upstream_error", code="no_available_target")
    # Routing names each exclusion with the policy and its reason.
    assert "plain-only" in error["message"] and "data-routing" in error["message"], error
    assert "no data policy declared" in error["message"], error
    assert plain.completion_count() == 0

    # Where a compliant target exists, allow routes to it like block does.
    response = gw.chat("x", model="m")
    assert response.status_code == 200 and served_by(response) == "zdr-eu", response.text
    assert plain.completion_count() == 0 and zdr.completion_count() == 1


def test_a_misspelt_key_stops_the_gateway(upstreams, plugins, data_routing_plugin, tmp_path):
    path = tmp_path / "policy-config.yaml"
    path.write_text(to_yaml(config(upstreams, data_routing_plugin, {"require_zdr": True})) + "\n")
    done = subprocess.run([str(gateway_binary()), "validate", "--config", str(path), "--plugins-dir",
                           str(data_routing_plugin.parent)], capture_output=True, text=True, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "unknown config key 'require_zdr' (did you mean 'require_zero_data_retention'?)" in output, output
