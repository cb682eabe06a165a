"""The status page (GET /admin) in a real headless Chromium, against the real gateway and a mock upstream.

Admin auth on the wire first (no key / a client key -> 401 with a Basic challenge; the admin key as Bearer or Basic
-> the page), then the page itself: a probed target shown `up`, `down` while its probe fails and `up` again, a
request the keyword-blocklist policy blocks listed in the recent exchanges (metadata only), the Reload button
raising the config generation, no console error or warning, and a screenshot in $GATEWAYHOST_ARTIFACTS (default
Tests/e2e/artifacts/, gitignored).

Needs Debian's `chromium` and `chromium-driver` (scripts/setup.sh --with-tests) and selenium (requirements.txt).
Without them the test is skipped on a workstation and fails when CI=true: CI must never skip it silently.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import time
import uuid
from pathlib import Path

import httpx
import pytest

from conftest import _start, _stop
from e2e_support import GATEWAY_CLIENT_KEY, REPO, MockUpstream, openai_target

ADMIN_KEY = "gw-admin-key-ops-0123456789abcdef"
TARGET = "probed"
PROBE = {"path": "/models", "interval_seconds": 0.5, "timeout_seconds": 1, "unhealthy_threshold": 2,
         "healthy_threshold": 2}
PAGE_WAIT = 10.0  # the page polls every 2 s; a probe verdict takes ~1 s more


def artifacts_dir() -> Path:
    folder = Path(os.environ.get("GATEWAYHOST_ARTIFACTS") or REPO / "Tests" / "e2e" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _require_chromium() -> tuple[str, str]:
    """(chromium, chromedriver) paths; skips (fails under CI=true) when the browser, driver or selenium is missing."""
    missing = []
    browser = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if browser is None:
        missing.append("chromium (apt: chromium)")
    if driver is None:
        missing.append("chromedriver (apt: chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip, Tests/e2e/requirements.txt)")
    if missing:
        message = (f"the status page test needs a headless Chromium: missing {', '.join(missing)}; "
                   "run scripts/setup.sh --with-tests")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return browser, driver


@pytest.fixture
def browser():
    chromium, chromedriver = _require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--no-proxy-server"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(15)
    driver.set_script_timeout(15)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def admin_rig(plugins):
    """A mock of its own (its probe is switched off and on) and a gateway with admin and client keys."""
    upstream = MockUpstream()
    config = {
        "pack": {"name": "admin-page", "version": "1.0.0"},
        "policies": {"chain": ["block-words"]},
        "policy": {
            "block-words": {
                "plugin": {"file": str(plugins["keyword_blocklist"])},
                "keywords": ["forbidden"],
                "message": "Request blocked: forbidden word",
            },
        },
        "providers": {"strategy": "fallback",
                      "targets": [openai_target(TARGET, "m", f"{upstream.base}/v1", health_probe=PROBE)]},
        "gateway": {
            "max_body_bytes": 65536,
            "client_keys": [{"id": "team-a", "secret_key_ref": {"env": "GW_KEY_A"}}],
            "admin_keys": [{"id": "ops", "secret_key_ref": {"env": "GW_ADMIN_KEY"}}],
        },
    }
    gw = _start(config, plugins, env={"GW_KEY_A": GATEWAY_CLIENT_KEY, "GW_ADMIN_KEY": ADMIN_KEY})
    try:
        yield gw, upstream
    finally:
        _stop(gw)
        upstream.stop()


def wait_until(predicate, timeout: float, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def basic(secret: str, user: str = "ops") -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def assert_admin_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, f"{response.status_code}: {response.text[:300]}"
    challenge = response.headers.get("www-authenticate", "")
    assert challenge.startswith("Basic ") and 'realm="gatewayhost admin"' in challenge, response.headers
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    error = response.json()["error"]
    assert error["code"] == "invalid_admin_key" and error["type"] == "invalid_request_error", error
    assert ADMIN_KEY not in response.text and GATEWAY_CLIENT_KEY not in response.text


# ------------------------------------------------------------------------------------------- the page in Chromium

def page_js(driver, expression: str):
    return driver.execute_script("return " + expression)


def element_text(driver, element_id: str) -> str | None:
    return page_js(driver, f"(document.getElementById('{element_id}') || {{}}).textContent")


def target_cell(driver, column: str) -> str | None:
    """The text of the target row's `.health` / `.breaker` cell (read in one script: no stale elements)."""
    return page_js(driver, f"(function () {{ var c = document.querySelector('tr[data-target=\"{TARGET}\"] .{column}');"
                           " return c ? c.textContent : null; })()")


def recent_rows(driver) -> list[dict]:
    return page_js(driver, """Array.from(document.querySelectorAll('#recent tr')).map(function (tr) {
        var row = {request_id: tr.getAttribute('data-request-id')};
        ['time', 'client', 'model', 'target', 'policy', 'code', 'status'].forEach(function (k) {
            var c = tr.querySelector('.' + k); row[k] = c ? c.textContent : null; });
        return row; })""")


@pytest.mark.time_limit(90)
def test_status_page_in_headless_chromium(browser, admin_rig):
    gw, upstream = admin_rig

    # -- auth on the wire
    assert_admin_refused(gw.http.get("/admin"))
    assert_admin_refused(gw.http.get("/admin", headers={"Authorization": f"Bearer {GATEWAY_CLIENT_KEY}"}))
    assert_admin_refused(gw.http.get("/admin", headers={"Authorization": basic(GATEWAY_CLIENT_KEY)}))
    assert_admin_refused(gw.http.get("/admin/api/status", headers={"Authorization": "Bearer sk-wrong-admin-key"}))
    assert_admin_refused(gw.http.post("/admin/reload", headers={"Authorization": f"Bearer {GATEWAY_CLIENT_KEY}"}))
    # ...and the admin key is no client key.
    refused = gw.http.post("/v1/chat/completions", headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                           json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert refused.status_code == 401, refused.text
    for authorization in (f"Bearer {ADMIN_KEY}", basic(ADMIN_KEY)):
        page = gw.http.get("/admin", headers={"Authorization": authorization})
        assert page.status_code == 200, page.text[:300]
        assert page.headers["content-type"].startswith("text/html"), page.headers
        assert "default-src 'self'" in page.headers.get("content-security-policy", ""), page.headers
        assert "http://" not in page.text and "https://" not in page.text, "the page must name no external URL"
    status = gw.http.get("/admin/api/status", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert status.status_code == 200, status.text
    first_generation = status.json()["generation"]
    assert isinstance(first_generation, int) and first_generation >= 1, status.json()

    client = {"Authorization": f"Bearer {GATEWAY_CLIENT_KEY}"}
    served = gw.http.post("/v1/chat/completions", headers=client,
                          json={"model": "m", "messages": [{"role": "user", "content": "hello"}]})
    assert served.status_code == 200, served.text

    # -- the page, authenticated by an extra header on every request it makes (document and fetches)
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Bearer {ADMIN_KEY}"}})
    browser.get(f"{gw.base}/admin")
    assert wait_until(lambda: target_cell(browser, "health") == "up", PAGE_WAIT), \
        f"target not shown up: health={target_cell(browser, 'health')!r}"
    assert target_cell(browser, "breaker") == "closed"
    assert element_text(browser, "generation") == str(first_generation)
    assert page_js(browser, "document.getElementById('error').hidden") is True, element_text(browser, "error")

    # -- a failing probe shows the target down, a passing one up again
    upstream.settings(models_status=503)
    started = time.monotonic()
    assert wait_until(lambda: target_cell(browser, "health") == "down", PAGE_WAIT), \
        f"target not shown down within {PAGE_WAIT} s: health={target_cell(browser, 'health')!r}"
    shown_down_after = time.monotonic() - started
    browser.save_screenshot(str(artifacts_dir() / "admin-page-down.png"))
    upstream.settings(models_status=200)
    assert wait_until(lambda: target_cell(browser, "health") == "up", PAGE_WAIT), \
        f"target not shown up again: health={target_cell(browser, 'health')!r}"
    assert shown_down_after <= PAGE_WAIT

    # -- a blocked request is listed with its metadata, never its content
    rid = f"admin-page-{uuid.uuid4().hex[:12]}"
    secret_word = f"prompt{uuid.uuid4().hex[:10]}"
    blocked = gw.http.post("/v1/chat/completions", headers={**client, "x-request-id": rid},
                           json={"model": "m", "messages": [{"role": "user", "content": f"forbidden {secret_word}"}]})
    assert blocked.status_code == 409, blocked.text

    def blocked_row():
        return next((row for row in recent_rows(browser)
                     if row["policy"] == "block-words" and row["status"] == "409" and row["client"] == "team-a"), None)

    row = wait_until(blocked_row, PAGE_WAIT)
    assert row, f"the blocked request is not in the recent table: {recent_rows(browser)}"
    assert row["model"] == "m" and row["code"], row
    assert row["request_id"] == rid, row
    assert secret_word not in browser.page_source, "the page shows prompt text"
    api = gw.http.get("/admin/api/status", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert secret_word not in api.text, "the status API carries prompt text"
    assert GATEWAY_CLIENT_KEY not in api.text and ADMIN_KEY not in api.text

    # -- Reload raises the generation
    browser.find_element("id", "reload").click()
    assert wait_until(lambda: element_text(browser, "generation") == str(first_generation + 1), PAGE_WAIT), \
        (f"generation shown {element_text(browser, 'generation')!r}, "
         f"reload said {element_text(browser, 'reload-result')!r}")
    assert f"generation {first_generation + 1}" in element_text(browser, "reload-result")
    assert wait_until(lambda: element_text(browser, "cfg-reload").startswith("ok"), PAGE_WAIT), \
        element_text(browser, "cfg-reload")
    assert page_js(browser, "document.getElementById('error').hidden") is True, element_text(browser, "error")

    # -- screenshot, then the console: not one error or warning
    wait_until(lambda: target_cell(browser, "health") == "up", PAGE_WAIT)  # the new generation's first probes
    path = artifacts_dir() / "admin-page.png"
    assert browser.save_screenshot(str(path)) and path.stat().st_size > 0
    console = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert console == [], "browser console:\n" + json.dumps(console, indent=2)
