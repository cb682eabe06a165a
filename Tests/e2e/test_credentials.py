"""Credential hygiene: upstreams refusing the gateway's key, which client headers reach the upstream, secrets
kept out of config errors and logs, failed client authentication in the log, and validation errors as the SDK
sees them."""

import hashlib
import json
import random
import re
import string
import subprocess

import httpx
import openai
import pytest

from conftest import _start, _stop
from e2e_support import (
    HTTP_TIMEOUT,
    MOCK_AZURE_KEY,
    MOCK_OPENAI_KEY,
    _scrubbed_env,
    free_port,
    gateway_binary,
    main_config,
    make_client,
    openai_target,
    request_id,
)

CLIENT_OWN_KEY = "sk-client-own-key-pass-through-0001"
CLIENT_ORG = "org-clientOrganization42"
CLIENT_PROJECT = "proj_clientProject42"
CLIENT_BETA = "assistants=v2"

# What the mock answers for mock-401 / mock-403 (OpenAI's own wording; see mock_upstream.py).
MASKED_KEY_MARKERS = ("sk-proj", "****")


def credentials_config(mock_port: int, dead_port: int, plugins) -> dict:
    """The main config (no client keys) plus targets that refuse the gateway's key, pass-through targets
    (no key of their own: the client's Authorization goes upstream) and a target forwarding the client's
    organization headers with the gateway's key."""
    config = main_config(mock_port, dead_port, plugins)
    base = f"http://127.0.0.1:{mock_port}/v1"
    config["providers"]["targets"] += [
        openai_target("refuses-key-401", "mock-401", base),
        openai_target("refuses-key-403", "mock-403", base),
        {"id": "azure-refuses-key", "provider": "azure-openai", "model": "mock-401",
         "base_url": f"http://127.0.0.1:{mock_port}", "api_version": "2024-10-21",
         "secret_key_ref": {"env": "MOCK_AZURE_KEY"}},
        {"id": "pass-through", "provider": "openai", "model": "pass-through-gpt", "base_url": base},
        {"id": "pass-through-401", "provider": "openai", "model": "mock-401", "base_url": base},
        {"id": "pass-through-403", "provider": "openai", "model": "mock-403", "base_url": base},
        openai_target("org-forwarding", "org-forwarding-gpt", base, forward_client_org_headers=True),
    ]
    return config


@pytest.fixture(scope="module")
def cred_gateway(mock, plugins, dead_port):
    gw = _start(credentials_config(mock.port, dead_port, plugins), plugins)
    yield gw
    _stop(gw)


@pytest.fixture(scope="module")
def cred_client(cred_gateway):
    c = make_client(cred_gateway)
    yield c
    c.close()


def log_lines_for(gw, rid: str) -> list[str]:
    return [line for line in gw.stderr_text(limit=1_000_000).splitlines() if f"request_id={rid}" in line]


def call(client, api: str, model: str, text: str, rid: str):
    """One request through the SDK: chat (JSON), chat-stream (consumed) or responses (JSON)."""
    headers = {"x-request-id": rid}
    if api == "chat":
        return client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": text}], extra_headers=headers)
    if api == "chat-stream":
        stream = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": text}], stream=True, extra_headers=headers)
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    return client.responses.create(model=model, input=text, extra_headers=headers)


# ------------------------------------------------------------------------------------------- upstream 401 / 403

@pytest.mark.parametrize("api", ["chat", "chat-stream", "responses"])
@pytest.mark.parametrize("status, target", [(401, "refuses-key-401"), (403, "refuses-key-403")])
def test_upstream_refusing_gateway_key_is_502_upstream_auth_failed(cred_gateway, cred_client, mock, api, status,
                                                                   target):
    rid = request_id(f"refused-{status}")
    with pytest.raises(openai.InternalServerError) as caught:
        call(cred_client, api, f"mock-{status}", "key refused", rid)
    error = caught.value
    assert error.status_code == 502
    assert error.type == "upstream_error", error.body
    assert error.code == "upstream_auth_failed", error.body
    assert target in error.message, f"the message must name the target: {error.message!r}"
    assert error.response.headers.get("x-gatewayhost-target") == target

    # The provider's body (it names the key, masked) stays with the operator.
    answer = error.response.text
    for marker in MASKED_KEY_MARKERS + ("proj_mock", "platform.openai.com", "invalid_api_key", "model_not_found"):
        assert marker not in answer, f"{marker!r} relayed to the client: {answer}"
    assert json.loads(answer)["error"]["code"] == "upstream_auth_failed"

    # The upstream did get the gateway's key, and the operator's log says it refused it.
    seen = mock.one_request(rid)
    assert seen["headers"].get("authorization") == f"Bearer {MOCK_OPENAI_KEY}"
    lines = log_lines_for(cred_gateway, rid)
    assert any("refused the gateway's key" in line and target in line for line in lines), \
        f"no 'refused the gateway's key' line for {rid}:\n" + "\n".join(lines)


def test_azure_upstream_refusing_gateway_key_is_502(cred_gateway, cred_client, mock):
    rid = request_id("azure-refused")
    with pytest.raises(openai.InternalServerError) as caught:
        call(cred_client, "chat", "azure-refuses-key", "azure key refused", rid)
    assert caught.value.status_code == 502
    assert caught.value.code == "upstream_auth_failed", caught.value.body
    assert "azure-refuses-key" in caught.value.message
    for marker in MASKED_KEY_MARKERS:
        assert marker not in caught.value.response.text
    assert mock.one_request(rid)["headers"].get("api-key") == MOCK_AZURE_KEY
    assert any("refused the gateway's key" in line for line in log_lines_for(cred_gateway, rid))


@pytest.mark.parametrize("status, model, exception", [
    (401, "mock-401", openai.AuthenticationError), (403, "mock-403", openai.PermissionDeniedError),
])
def test_pass_through_upstream_refusal_is_relayed_unchanged(cred_gateway, mock, status, model, exception):
    # What the provider itself answers, byte for byte.
    direct = mock.http.post("/v1/chat/completions",
                            json={"model": model, "messages": [{"role": "user", "content": "direct"}]})
    assert direct.status_code == status

    rid = request_id(f"pass-{status}")
    with make_client(cred_gateway, api_key=CLIENT_OWN_KEY) as own:
        with pytest.raises(exception) as caught:
            own.chat.completions.create(
                model=f"pass-through-{status}", messages=[{"role": "user", "content": "my own key"}],
                extra_headers={"x-request-id": rid})
    assert caught.value.status_code == status
    assert caught.value.response.content == direct.content, "the upstream's 4xx body must reach the client unchanged"
    assert caught.value.response.headers.get("x-gatewayhost-target") == f"pass-through-{status}"
    seen = mock.one_request(rid)
    assert seen["headers"].get("authorization") == f"Bearer {CLIENT_OWN_KEY}"
    assert not any("refused the gateway's key" in line for line in log_lines_for(cred_gateway, rid))


# ------------------------------------------------------------------------------------------- organization headers

def org_client(gw, api_key: str = "sk-client-not-checked") -> openai.OpenAI:
    """The SDK as a client of an organization and a project sends them (OpenAI-Organization, OpenAI-Project)."""
    return openai.OpenAI(base_url=f"{gw.base}/v1", api_key=api_key, organization=CLIENT_ORG, project=CLIENT_PROJECT,
                         max_retries=0, timeout=HTTP_TIMEOUT)


def upstream_headers_of(gw, mock, model: str, api: str = "chat", api_key: str = "sk-client-not-checked") -> dict:
    rid = request_id("org")
    with org_client(gw, api_key) as client:
        headers = {"x-request-id": rid, "OpenAI-Beta": CLIENT_BETA}
        if api == "chat":
            completion = client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": "org check"}], extra_headers=headers)
            assert completion.choices[0].message.content == "echo: org check"
        else:
            response = client.responses.create(model=model, input="org check", extra_headers=headers)
            assert response.output_text == "echo: org check"
    return mock.one_request(rid)["headers"]


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_org_headers_not_forwarded_with_gateway_key(cred_gateway, mock, api):
    headers = upstream_headers_of(cred_gateway, mock, "gpt-4o-mini", api)
    assert headers.get("authorization") == f"Bearer {MOCK_OPENAI_KEY}"
    assert "openai-organization" not in headers, headers
    assert "openai-project" not in headers, headers
    assert CLIENT_ORG not in json.dumps(headers) and CLIENT_PROJECT not in json.dumps(headers)
    assert headers.get("openai-beta") == CLIENT_BETA


def test_org_headers_forwarded_in_pass_through(cred_gateway, mock):
    headers = upstream_headers_of(cred_gateway, mock, "pass-through-gpt", api_key=CLIENT_OWN_KEY)
    assert headers.get("authorization") == f"Bearer {CLIENT_OWN_KEY}"
    assert headers.get("openai-organization") == CLIENT_ORG
    assert headers.get("openai-project") == CLIENT_PROJECT
    assert headers.get("openai-beta") == CLIENT_BETA


def test_org_headers_forwarded_with_gateway_key_when_target_allows(cred_gateway, mock):
    headers = upstream_headers_of(cred_gateway, mock, "org-forwarding-gpt")
    assert headers.get("authorization") == f"Bearer {MOCK_OPENAI_KEY}"
    assert headers.get("openai-organization") == CLIENT_ORG
    assert headers.get("openai-project") == CLIENT_PROJECT
    assert headers.get("openai-beta") == CLIENT_BETA


# ------------------------------------------------------------------------------------------- secrets in config errors

SECRET = "sk-proj-AbCdEf0123456789xyz"
SECRET_FRAGMENT = "AbCdEf"

CONFIG_HEAD = """\
pack: {name: secrets, version: 1.0.0}
policies:
  chain: []
"""

# (id, config text, the line holding the secret, the key path the error must name)
SECRET_CONFIGS = [
    ("plain-key", CONFIG_HEAD + f"""\
providers:
  strategy: single
  targets:
    - id: primary
      provider: openai
      model: gpt-4o
      secret_key_ref: {SECRET}
""", "providers.targets[0].secret_key_ref"),
    ("key-as-env-name", CONFIG_HEAD + f"""\
providers:
  strategy: single
  targets:
    - id: primary
      provider: openai
      model: gpt-4o
      secret_key_ref: {{env: {SECRET}}}
""", "providers.targets[0].secret_key_ref.env"),
    ("client-key-plain", CONFIG_HEAD + f"""\
providers:
  strategy: single
  targets:
    - id: echo
      provider: echo
      model: echo-model
gateway:
  client_keys:
    - id: team-a
      secret_key_ref: {SECRET}
""", "gateway.client_keys[0].secret_key_ref"),
]


def secret_position(text: str) -> tuple[int, int]:
    """1-based line and column of the secret in the config text (where the offending value starts)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if SECRET in line:
            return number, line.index(SECRET) + 1
    raise AssertionError("no secret in the config")


def assert_secret_error(output: str, path, text: str, key_path: str) -> None:
    line, column = secret_position(text)
    assert f"{path}:{line}:{column}" in output, f"expected {path}:{line}:{column} in:\n{output}"
    assert f"{key_path}:" in output, f"expected the key path {key_path} in:\n{output}"
    assert "not shown" in output, output


@pytest.mark.parametrize("case_id, text, key_path", SECRET_CONFIGS, ids=[c[0] for c in SECRET_CONFIGS])
def test_validate_never_shows_a_secret(tmp_path, case_id, text, key_path):
    path = tmp_path / "policy-config.yaml"
    path.write_text(text)
    done = subprocess.run([str(gateway_binary()), "validate", "--config", str(path)], capture_output=True,
                          text=True, timeout=30, env=_scrubbed_env({}), cwd=tmp_path)
    assert done.returncode == 1, f"rc {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    assert SECRET_FRAGMENT not in done.stdout, done.stdout
    assert SECRET_FRAGMENT not in done.stderr, done.stderr
    assert_secret_error(done.stdout + done.stderr, path, text, key_path)


@pytest.mark.parametrize("case_id, text, key_path", SECRET_CONFIGS, ids=[c[0] for c in SECRET_CONFIGS])
def test_serve_refuses_and_never_shows_a_secret(tmp_path, case_id, text, key_path):
    path = tmp_path / "policy-config.yaml"
    path.write_text(text)
    done = subprocess.run(
        [str(gateway_binary()), "--config", str(path), "--listen", f"127.0.0.1:{free_port()}"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30, env=_scrubbed_env({}), cwd=tmp_path)
    assert done.returncode == 1, f"rc {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    assert SECRET_FRAGMENT not in done.stdout, done.stdout
    assert SECRET_FRAGMENT not in done.stderr, done.stderr
    assert_secret_error(done.stdout + done.stderr, path, text, key_path)


# ------------------------------------------------------------------------------------------- failed client auth

def unguessable_key() -> str:
    """A wrong key made only of letters that are not hex digits: none of its substrings can turn up by chance
    in the request ids and fingerprints (hex) of the log."""
    letters = "ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ"
    return "wrongKey-" + "".join(random.choice(letters) for _ in range(28))


def test_failed_client_auth_is_logged_with_a_fingerprint_only(auth_gateway, mock):
    key = unguessable_key()
    rid = request_id("auth-log")
    with make_client(auth_gateway, api_key=key) as bad:
        with pytest.raises(openai.AuthenticationError) as caught:
            bad.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], extra_headers={"x-request-id": rid})
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert mock.requests_with_id(rid) == []

    lines = [line for line in log_lines_for(auth_gateway, rid) if "client authentication failed" in line]
    assert len(lines) == 1, log_lines_for(auth_gateway, rid)
    line = lines[0]
    assert "client_ip=127.0.0.1" in line, line
    found = re.search(r"fingerprint sha256:([0-9a-f]+)", line)
    assert found, line
    assert len(found.group(1)) >= 8 and hashlib.sha256(key.encode()).hexdigest().startswith(found.group(1)), line

    log = auth_gateway.stderr_text(limit=10_000_000)
    leaked = sorted({key[i:i + 6] for i in range(len(key) - 5) if key[i:i + 6] in log})
    assert not leaked, f"parts of the presented key are in the log: {leaked}"


def test_failed_client_auth_without_authorization_is_logged(auth_gateway, mock):
    rid = request_id("auth-none")
    response = auth_gateway.http.post(
        "/v1/chat/completions", headers={"x-request-id": rid},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    lines = [line for line in log_lines_for(auth_gateway, rid) if "client authentication failed" in line]
    assert len(lines) == 1, log_lines_for(auth_gateway, rid)
    assert "no Authorization header" in lines[0], lines[0]
    assert "client_ip=127.0.0.1" in lines[0], lines[0]


# ------------------------------------------------------------------------------------------- validation via the SDK

@pytest.mark.parametrize("fields, param", [
    ({"max_tokens": "lots"}, "max_tokens"),
    ({"messages": [{"role": "user", "content": [{"type": 7}]}]}, "messages[0].content[0].type"),
], ids=["max-tokens-string", "content-part-type-int"])
def test_sdk_raises_bad_request_on_invalid_fields(cred_gateway, cred_client, mock, fields, param):
    rid = request_id("sdk-400")
    with pytest.raises(openai.BadRequestError) as caught:
        cred_client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "ok"}], extra_body=fields,
            extra_headers={"x-request-id": rid})
    error = caught.value
    assert error.status_code == 400
    assert error.type == "invalid_request_error", error.body
    assert error.param == param, error.body
    assert error.code == "invalid_type", error.body
    assert mock.requests_with_id(rid) == [], "an invalid request must not reach the upstream"
    cred_gateway.assert_healthy()
