/// The status page served at GET /admin: one self-contained HTML document (inline CSS and JS, no external URL,
/// no build step) that polls `GET /admin/api/status` every 2 s with the browser's same-origin credentials and
/// shows the config generation and reload state (with a Reload button posting to `/admin/reload`), traffic,
/// targets (health, breaker, latency), policy verdict counts and the recent blocked or failed exchanges
/// (metadata only). Data is written with `textContent` / `createElement` only, never parsed as HTML. It fits the
/// Content-Security-Policy `default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline';
/// img-src data:` (the favicon is an empty `data:` URL so the browser requests nothing else).
/// Hooks for the e2e test: `#generation` holds the generation number, `#error` is the fetch-failure banner,
/// each target row carries `data-target="<id>"` with cells `.health` (`up` / `down` / `unprobed` /
/// `unavailable`) and `.breaker` (`closed` / `open` / `half_open`).
package enum StatusPageHTML {
    package static let page = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>gatewayhost status</title>
        <link rel="icon" href="data:,">
        <style>
        :root { --bg: #f6f7f9; --card: #fff; --fg: #1d2330; --muted: #667085; --line: #e3e6ec;
          --ok: #137333; --ok-bg: #e6f4ea; --bad: #b3261e; --bad-bg: #fce8e6; --warn: #8a5a00; --warn-bg: #fef3d6; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
          background: var(--bg); color: var(--fg); }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 24px; padding: 12px 20px;
          background: #1d2330; color: #fff; }
        header h1 { font-size: 18px; margin: 0; font-weight: 600; }
        header .meta { color: #c3c8d4; font-size: 13px; }
        header .meta b { color: #fff; font-weight: 600; }
        main { padding: 16px 20px; display: grid; gap: 16px;
          grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); }
        section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
          overflow-x: auto; }
        section.wide { grid-column: 1 / -1; }
        h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 0 0 8px; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
        th { font-weight: 600; color: var(--muted); font-size: 12px; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.note { white-space: normal; color: var(--muted); max-width: 420px; }
        .empty td { color: var(--muted); font-style: italic; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
        dt { color: var(--muted); }
        dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
        .badge, td.health, td.breaker { font-weight: 600; }
        [data-state="up"], [data-state="closed"], [data-state="ok"] { color: var(--ok); }
        [data-state="down"], [data-state="open"], [data-state="failed"] { color: var(--bad); }
        [data-state="half_open"], [data-state="unavailable"] { color: var(--warn); }
        [data-state="unprobed"] { color: var(--muted); }
        #error { margin: 12px 20px 0; padding: 8px 12px; border-radius: 6px;
          background: var(--bad-bg); color: var(--bad);
          border: 1px solid #f4c7c3; font-weight: 600; }
        #error[hidden], #reload-result[hidden] { display: none; }
        button { font: inherit; padding: 4px 14px; border-radius: 6px; border: 1px solid #8ab4f8; background: #e8f0fe;
          color: #174ea6; cursor: pointer; }
        button:disabled { opacity: .6; cursor: progress; }
        #reload-result { font-size: 13px; }
        #updated { margin-left: auto; }
        </style>
        </head>
        <body>
        <header>
          <h1>gatewayhost</h1>
          <span class="meta">generation <b id="generation">–</b></span>
          <span class="meta">version <b id="version">–</b></span>
          <span class="meta">up <b id="uptime">–</b></span>
          <button id="reload" type="button">Reload config</button>
          <span class="meta" id="reload-result" role="status" hidden></span>
          <span class="meta" id="updated">loading…</span>
        </header>
        <div id="error" role="alert" hidden></div>
        <main>
          <section>
            <h2>Config</h2>
            <dl>
              <dt>Generation</dt><dd id="cfg-generation">–</dd>
              <dt>File</dt><dd id="cfg-file">–</dd>
              <dt>Loaded at</dt><dd id="cfg-loaded">–</dd>
              <dt>Uptime</dt><dd id="cfg-uptime">–</dd>
              <dt>Last reload</dt><dd id="cfg-reload">–</dd>
            </dl>
          </section>
          <section>
            <h2>Traffic</h2>
            <dl id="traffic">
              <dt>Requests</dt><dd id="t-requests">–</dd>
              <dt>Errors</dt><dd id="t-errors">–</dd>
              <dt>In flight</dt><dd id="t-inflight">–</dd>
              <dt>Open streams</dt><dd id="t-streams">–</dd>
              <dt>By status</dt><dd id="t-status">–</dd>
            </dl>
          </section>
          <section>
            <h2>Policy verdicts</h2>
            <table>
              <thead><tr><th>Policy</th><th class="num">allow</th><th class="num">mutate</th><th class="num">drop</th>
                <th class="num">deny</th><th class="num">error</th></tr></thead>
              <tbody id="policies"></tbody>
            </table>
          </section>
          <section class="wide">
            <h2>Targets</h2>
            <table>
              <thead><tr><th>Target</th><th>Provider</th><th>Model</th><th>Health</th><th>Breaker</th>
                <th class="num">Latency</th><th class="num">Weight</th><th class="num">Requests</th>
                <th class="num">Failures</th><th>Note</th></tr></thead>
              <tbody id="targets"></tbody>
            </table>
          </section>
          <section class="wide">
            <h2>Recent blocked or failed exchanges</h2>
            <table>
              <thead><tr><th>Time</th><th>Client</th><th>Model</th><th>Target</th><th>Policy</th><th>Code</th>
                <th class="num">Status</th><th>Request id</th></tr></thead>
              <tbody id="recent"></tbody>
            </table>
          </section>
        </main>
        <script>
        "use strict";
        (function () {
          var REFRESH_MS = 2000;
          var DASH = "–";
          var timer = null;
          var sequence = 0; // answers that arrive after a newer one are dropped

          function $(id) { return document.getElementById(id); }
          // Absolute from the origin: when the page was opened with credentials in its URL (user:key@host),
          // relative URLs would carry them and fetch() would refuse.
          function api(path) { return location.origin + path; }
          function text(value) { return value === null || value === undefined || value === "" ? DASH : String(value); }
          function setText(id, value) { $(id).textContent = text(value); }
          function num(value) { return typeof value === "number" && isFinite(value) ? value : null; }
          function count(value) { var n = num(value); return n === null ? DASH : n.toLocaleString("en-US"); }

          function cell(value, className, state) {
            var td = document.createElement("td");
            td.textContent = text(value);
            if (className) { td.className = className; }
            if (state) { td.setAttribute("data-state", state); }
            return td;
          }

          function emptyRow(tbody, columns, message) {
            var tr = document.createElement("tr");
            tr.className = "empty";
            var td = cell(message);
            td.colSpan = columns;
            tr.appendChild(td);
            tbody.replaceChildren(tr);
          }

          function duration(seconds) {
            var s = num(seconds);
            if (s === null) { return DASH; }
            s = Math.floor(s);
            var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
            var parts = [];
            if (d) { parts.push(d + "d"); }
            if (d || h) { parts.push(h + "h"); }
            if (d || h || m) { parts.push(m + "m"); }
            parts.push(s % 60 + "s");
            return parts.join(" ");
          }

          function clock(iso) {
            if (typeof iso !== "string") { return DASH; }
            var date = new Date(iso);
            return isNaN(date.getTime()) ? iso : date.toLocaleTimeString("en-GB");
          }

          function health(t) {
            if (t.available === false) { return "unavailable"; }
            if (!t.probed) { return "unprobed"; }
            return t.healthy ? "up" : "down";
          }

          function showError(message) {
            var banner = $("error");
            banner.textContent = message;
            banner.hidden = false;
          }

          function clearError() {
            var banner = $("error");
            banner.hidden = true;
            banner.textContent = "";
          }

          // The message of an OpenAI-style error body, or the HTTP status.
          function failure(response, body) {
            var message = body && body.error && typeof body.error.message === "string" ? body.error.message : "";
            return "HTTP " + response.status + (message ? ": " + message : "");
          }

          function readJSON(response) {
            return response.text().then(function (raw) {
              try { return raw ? JSON.parse(raw) : null; } catch (e) { return null; }
            });
          }

          function renderConfig(s) {
            setText("generation", s.generation);
            setText("cfg-generation", s.generation);
            setText("version", s.version);
            setText("cfg-file", s.config_file);
            setText("cfg-loaded", s.loaded_at);
            setText("uptime", duration(s.uptime_seconds));
            setText("cfg-uptime", duration(s.uptime_seconds));
            var dd = $("cfg-reload"), r = s.last_reload;
            if (!r) {
              dd.textContent = "no reload since start";
              dd.removeAttribute("data-state");
              return;
            }
            dd.setAttribute("data-state", r.ok ? "ok" : "failed");
            dd.textContent = (r.ok ? "ok" : "failed") + " at " + text(r.at) +
              " (generation " + text(r.generation) + ")" +
              (r.ok || !r.error ? "" : ": " + r.error);
          }

          function renderTraffic(t) {
            t = t || {};
            $("t-requests").textContent = count(t.requests_total);
            $("t-errors").textContent = count(t.errors_total);
            $("t-inflight").textContent = count(t.inflight);
            $("t-streams").textContent = count(t.open_streams);
            var by = t.by_status || {};
            var keys = Object.keys(by).sort();
            $("t-status").textContent = keys.length
              ? keys.map(function (k) { return k + ": " + count(by[k]); }).join("  ·  ")
              : DASH;
          }

          function renderTargets(targets) {
            var tbody = $("targets");
            if (!Array.isArray(targets) || targets.length === 0) { emptyRow(tbody, 10, "no targets"); return; }
            var rows = targets.map(function (t) {
              var tr = document.createElement("tr");
              tr.setAttribute("data-target", String(t.id));
              var h = health(t), latency = num(t.latency_ms);
              var note = [t.unavailable_reason, t.last_probe_error].filter(function (x) { return x; }).join("; ");
              tr.appendChild(cell(t.id, "id"));
              tr.appendChild(cell(t.provider, "provider"));
              tr.appendChild(cell(t.model, "model"));
              tr.appendChild(cell(h, "health", h));
              tr.appendChild(cell(t.breaker, "breaker", t.breaker));
              tr.appendChild(cell(latency === null ? null : latency.toFixed(1) + " ms", "num latency"));
              tr.appendChild(cell(num(t.weight), "num weight"));
              tr.appendChild(cell(count(t.requests), "num requests"));
              tr.appendChild(cell(count(t.failures), "num failures"));
              tr.appendChild(cell(note || "", "note"));
              return tr;
            });
            tbody.replaceChildren.apply(tbody, rows);
          }

          function renderPolicies(policies) {
            var tbody = $("policies");
            if (!Array.isArray(policies) || policies.length === 0) {
              emptyRow(tbody, 6, "no policies in the chain");
              return;
            }
            var rows = policies.map(function (p) {
              var tr = document.createElement("tr"), v = p.verdicts || {};
              tr.setAttribute("data-policy", String(p.name));
              tr.appendChild(cell(p.name));
              ["allow", "mutate", "drop", "deny", "error"].forEach(function (k) {
                tr.appendChild(cell(count(v[k] || 0), "num " + k)); // a kind never seen is left out: 0
              });
              return tr;
            });
            tbody.replaceChildren.apply(tbody, rows);
          }

          function renderRecent(recent) {
            var tbody = $("recent");
            if (!Array.isArray(recent) || recent.length === 0) {
              emptyRow(tbody, 8, "nothing blocked or failed yet");
              return;
            }
            var rows = recent.map(function (e) {
              var tr = document.createElement("tr");
              if (e.request_id) { tr.setAttribute("data-request-id", String(e.request_id)); }
              var time = cell(clock(e.time), "time");
              time.title = text(e.time);
              tr.appendChild(time);
              tr.appendChild(cell(e.client, "client"));
              tr.appendChild(cell(e.model, "model"));
              tr.appendChild(cell(e.target, "target"));
              tr.appendChild(cell(e.policy, "policy"));
              tr.appendChild(cell(e.code, "code"));
              tr.appendChild(cell(e.status, "num status"));
              tr.appendChild(cell(e.request_id, "request-id"));
              return tr;
            });
            tbody.replaceChildren.apply(tbody, rows);
          }

          function render(s) {
            renderConfig(s);
            renderTraffic(s.traffic);
            renderTargets(s.targets);
            renderPolicies(s.policies);
            renderRecent(s.recent);
            $("updated").textContent = "updated " + new Date().toLocaleTimeString("en-GB");
          }

          function schedule() {
            clearTimeout(timer);
            timer = setTimeout(refresh, REFRESH_MS);
          }

          function refresh() {
            clearTimeout(timer);
            var mine = ++sequence;
            return fetch(api("/admin/api/status"), { credentials: "same-origin", cache: "no-store",
                                                     headers: { "Accept": "application/json" } })
              .then(function (response) {
                return readJSON(response).then(function (body) {
                  if (mine !== sequence) { return; }
                  if (!response.ok) { throw new Error(failure(response, body)); }
                  if (!body || typeof body !== "object") { throw new Error("the status answer is not JSON"); }
                  render(body);
                  clearError();
                });
              })
              .catch(function (error) {
                if (mine !== sequence) { return; }
                var message = error && error.message ? error.message : String(error);
                var hint = /^HTTP 401/.test(message) ? " (reload the page to sign in with the admin key)" : "";
                showError("Status refresh failed: " + message + hint);
              })
              .then(function () { if (mine === sequence) { schedule(); } });
          }

          function reload() {
            var button = $("reload"), result = $("reload-result");
            button.disabled = true;
            result.hidden = false;
            result.removeAttribute("data-state");
            result.textContent = "reloading…";
            fetch(api("/admin/reload"), { method: "POST", credentials: "same-origin", cache: "no-store",
                                          headers: { "Accept": "application/json" } })
              .then(function (response) {
                return readJSON(response).then(function (body) {
                  if (response.ok && body && body.ok) {
                    result.setAttribute("data-state", "ok");
                    result.textContent = "reloaded: generation " + text(body.generation);
                  } else {
                    result.setAttribute("data-state", "failed");
                    var still = body && body.generation !== undefined
                      ? " (still generation " + text(body.generation) + ")" : "";
                    result.textContent = "reload failed: " + failure(response, body) + still;
                  }
                });
              })
              .catch(function (error) {
                result.setAttribute("data-state", "failed");
                result.textContent = "reload failed: " + (error && error.message ? error.message : String(error));
              })
              .then(function () { button.disabled = false; return refresh(); });
          }

          $("reload").addEventListener("click", reload);
          refresh();
        })();
        </script>
        </body>
        </html>
        """#
}
