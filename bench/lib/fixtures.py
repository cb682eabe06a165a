#!/usr/bin/env python3
"""Writes everything the benchmark serves and sends into a work folder (Python stdlib only).

Usage: fixtures.py WORKDIR --upstream-port P --proxy-port P --gateway-ports NAME=PORT,... --plugins-dir DIR
                   [--proxy-workers N] [--upstream-workers N]

WORKDIR receives:
  request-chat.json        the ~1 KB chat request wrk posts (benign text: no PII, no injection, so every policy
                           inspects it fully and lets it through, which is the common case and the costly one)
  request-responses.json   the same conversation as a Responses request
  request-stream.json      the chat request with "stream": true (for the stream client)
  www/stream/v1/chat/completions   200 chat.completion.chunk SSE events, then data: [DONE]
  upstream.conf            the mock upstream: nginx answering fixed, realistic bodies
  proxy.conf               the baseline: a plain nginx reverse proxy to the upstream
  gateway-NAME.yaml        one gatewayhost config per setup (chain given by the setup's name)

Everything listens on 127.0.0.1 only.
"""

import argparse
import json
import os

STREAM_EVENTS = 200
CREATED = 1732752000
CHAT_ID = "chatcmpl-AY3mH5pQk2ZxW8rT4nLbV9cJd7eFg"
FINGERPRINT = "fp_0ba0d124f1"
MODEL_SNAPSHOT = "gpt-4o-mini-2024-07-18"

# The chains of the gateway setups. "empty" has no policy; "full" is the default chain of the issue.
SETUP_CHAINS = {
    "empty": [],
    "prompt-injection": ["prompt-injection"],
    "pii-detector": ["pii-detector"],
    "audit-logger": ["audit-logger"],
    "keyword-blocklist": ["keyword-blocklist"],  # the C example plugin, not part of the setups
    "full": ["prompt-injection", "pii-detector", "audit-logger"],
}

SYSTEM_PROMPT = (
    "You are a helpful assistant for the internal engineering wiki of a mid-sized logistics company. "
    "Answer concisely, cite the relevant wiki page when you know it, and say so when you are not sure."
)
USER_1 = (
    "We are moving our nightly batch jobs from cron on a single VM to a Kubernetes CronJob. "
    "What should we watch out for regarding time zones and overlapping runs?"
)
ASSISTANT_1 = (
    "Two things matter most. CronJob schedules use the controller's time zone unless you set "
    "spec.timeZone, so pin it explicitly. For overlaps, set concurrencyPolicy to Forbid or Replace, and "
    "give the job a startingDeadlineSeconds so missed runs do not pile up after an outage."
)
USER_2 = (
    "Thanks. The job takes about forty minutes and sometimes longer at month end. "
    "How would you size the backoff limit and the active deadline?"
)


def chat_request(stream):
    body = {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": USER_1},
            {"role": "assistant", "content": ASSISTANT_1},
            {"role": "user", "content": USER_2},
        ],
        "temperature": 0.2,
        "max_tokens": 512,
        "user": "wiki-bot",
    }
    if stream:
        body["model"] = "stream"  # the gateway target whose base_url leads to the upstream's SSE file
        body["stream"] = True
    return body


def responses_request():
    return {
        "model": "gpt-4o-mini",
        "instructions": SYSTEM_PROMPT,
        "input": [
            {"role": "user", "content": USER_1},
            {"role": "assistant", "content": ASSISTANT_1},
            {"role": "user", "content": USER_2},
        ],
        "temperature": 0.2,
        "max_output_tokens": 512,
    }


ANSWER = (
    "Set backoffLimit low, 1 or 2, because a forty-minute job that fails halfway usually fails again for the "
    "same reason, and every retry doubles the load. Set activeDeadlineSeconds to roughly twice the worst run "
    "you have seen, for example 7200 seconds, so a hung run is killed before the next schedule. Keep "
    "concurrencyPolicy: Forbid so a slow month-end run is never overlapped, and alert on failed jobs rather "
    "than on retries."
)


def chat_response():
    return {
        "id": CHAT_ID,
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL_SNAPSHOT,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": ANSWER, "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": 213, "completion_tokens": 96, "total_tokens": 309,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
        },
        "system_fingerprint": FINGERPRINT,
    }


def responses_response():
    return {
        "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
        "object": "response",
        "created_at": CREATED,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": SYSTEM_PROMPT,
        "max_output_tokens": 512,
        "model": MODEL_SNAPSHOT,
        "output": [{
            "type": "message",
            "id": "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": ANSWER, "annotations": []}],
        }],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": True,
        "temperature": 0.2,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": {
            "input_tokens": 213, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 96, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 309,
        },
        "user": None,
        "metadata": {},
    }


def sse_stream():
    """200 chat.completion.chunk events (role, 198 content deltas, finish) then data: [DONE]."""
    words = (ANSWER + " ").split(" ")
    events = []

    def chunk(delta, finish):
        return {
            "id": CHAT_ID, "object": "chat.completion.chunk", "created": CREATED, "model": MODEL_SNAPSHOT,
            "system_fingerprint": FINGERPRINT,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    events.append(chunk({"role": "assistant", "content": "", "refusal": None}, None))
    for i in range(STREAM_EVENTS - 2):
        word = words[i % len(words)]
        events.append(chunk({"content": (" " if i else "") + word}, None))
    events.append(chunk({}, "stop"))
    assert len(events) == STREAM_EVENTS
    out = "".join("data: " + compact(e) + "\n\n" for e in events)
    return out + "data: [DONE]\n\n"


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def nginx_string(text):
    """A single-quoted nginx config string for `return 200 '...'` (no variables, escapes doubled)."""
    if "$" in text or "'" in text:
        raise ValueError("fixed body must not contain $ or ' (nginx would interpolate or end the string)")
    if len(text) > 3500:
        raise ValueError("fixed body too long for one nginx config token")
    return "'" + text.replace("\\", "\\\\") + "'"


def nginx_common(work, name, workers, connections=4096, rlimit_nofile=None):
    """Process-level settings shared by the nginx instances; every path stays inside WORKDIR."""
    user = ""
    if os.geteuid() == 0:  # root master: workers would drop to nobody, who cannot read a 0700 temp folder
        user = "user root root;\n"
    rlimit = f"worker_rlimit_nofile {rlimit_nofile};\n" if rlimit_nofile else ""
    return f"""{user}worker_processes {workers};
{rlimit}pid {work}/{name}.pid;
error_log {work}/{name}-error.log warn;
events {{ worker_connections {connections}; }}
"""


def nginx_http_common(work, name):
    return f"""    access_log off;
    client_body_temp_path {work}/{name}-tmp/body;
    proxy_temp_path {work}/{name}-tmp/proxy;
    fastcgi_temp_path {work}/{name}-tmp/fastcgi;
    uwsgi_temp_path {work}/{name}-tmp/uwsgi;
    scgi_temp_path {work}/{name}-tmp/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 75s;
    client_body_buffer_size 64k;
    client_max_body_size 4m;
"""


def upstream_conf(work, port, workers):
    return nginx_common(work, "upstream", workers) + f"""http {{
{nginx_http_common(work, "upstream")}
    server {{
        listen 127.0.0.1:{port};
        location = /v1/chat/completions {{
            default_type application/json;
            return 200 {nginx_string(compact(chat_response()))};
        }}
        location = /v1/responses {{
            default_type application/json;
            return 200 {nginx_string(compact(responses_response()))};
        }}
        # The 200-event SSE file. The static module refuses POST with 405; error_page turns that into an
        # internal GET of the same file (the request body is discarded first).
        location = /stream/v1/chat/completions {{
            root {work}/www;
            types {{ }}
            default_type text/event-stream;
            add_header Cache-Control no-cache;
            error_page 405 =200 $uri;
        }}
    }}
}}
"""


def proxy_conf(work, port, upstream_port, workers):
    return nginx_common(work, "proxy", workers) + f"""http {{
{nginx_http_common(work, "proxy")}
    upstream llm {{
        server 127.0.0.1:{upstream_port};
        keepalive 64;
        keepalive_requests 10000000;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://llm;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $proxy_host;
        }}
        # Streams are relayed as they arrive, the usual reverse-proxy setup for SSE.
        location /stream/ {{
            proxy_pass http://llm;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $proxy_host;
            proxy_buffering off;
        }}
    }}
}}
"""


def gateway_conf(work, name, port, upstream_port, plugins_dir, stream_base="/stream/v1", gateway_extra=()):
    """gateway_extra: more `key: value` lines for the gateway section (bench/streams raises its limits)."""
    chain = SETUP_CHAINS[name]
    lines = [
        f"# gatewayhost benchmark setup '{name}' (generated by bench/lib/fixtures.py)",
        f"pack: {{name: bench-{name}, version: 1.0.0}}",
        f"policies:",
        f"  chain: [{', '.join(chain)}]",
    ]
    if chain:
        lines.append("policy:")
    for policy in chain:
        lines.append(f"  {policy}:")
        lines.append("    plugin: {on_error: fail_closed, timeout_ms: 200}")
        if policy == "pii-detector":
            lines.append("    action: redact")
        if policy == "keyword-blocklist":
            lines.append('    keywords: ["forbidden-word", "rm -rf /"]')
        if policy == "audit-logger":
            lines.append(f"    path: {work}/audit-{name}.jsonl")
    lines += [
        "providers:",
        "  strategy: single",
        "  targets:",
        "    - id: chat",
        "      provider: openai",
        "      model: gpt-4o-mini",
        f"      base_url: http://127.0.0.1:{upstream_port}/v1",
        "      secret_key_ref: {env: BENCH_KEY}",
        "    - id: stream",  # the stream request names this id as its model
        "      provider: openai",
        "      model: gpt-4o-mini",
        f"      base_url: http://127.0.0.1:{upstream_port}{stream_base}",
        "      secret_key_ref: {env: BENCH_KEY}",
        "gateway:",
        f"  listen: 127.0.0.1:{port}",
        f"  plugins_dir: {plugins_dir}",
    ] + [f"  {line}" for line in gateway_extra]
    return "\n".join(lines) + "\n"


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--upstream-port", type=int, required=True)
    ap.add_argument("--proxy-port", type=int, required=True)
    ap.add_argument("--gateway-ports", default="", help="NAME=PORT,NAME=PORT")
    ap.add_argument("--plugins-dir", required=True)
    ap.add_argument("--proxy-workers", type=int, default=1)
    ap.add_argument("--upstream-workers", type=int, default=1)
    a = ap.parse_args()
    work = os.path.abspath(a.work)

    write(f"{work}/request-chat.json", compact(chat_request(False)))
    write(f"{work}/request-stream.json", compact(chat_request(True)))
    write(f"{work}/request-responses.json", compact(responses_request()))
    # The upstream's answers as files, for the floor responders (bench/floor) to serve.
    write(f"{work}/answer-chat.json", compact(chat_response()))
    write(f"{work}/answer-responses.json", compact(responses_response()))
    os.makedirs(f"{work}/www/stream/v1/chat", exist_ok=True)
    write(f"{work}/www/stream/v1/chat/completions", sse_stream())
    for name in ("upstream", "proxy"):
        os.makedirs(f"{work}/{name}-tmp", exist_ok=True)
    write(f"{work}/upstream.conf", upstream_conf(work, a.upstream_port, a.upstream_workers))
    write(f"{work}/proxy.conf", proxy_conf(work, a.proxy_port, a.upstream_port, a.proxy_workers))
    for pair in filter(None, a.gateway_ports.split(",")):
        name, port = pair.split("=")
        write(f"{work}/gateway-{name}.yaml", gateway_conf(work, name, int(port), a.upstream_port, a.plugins_dir))


if __name__ == "__main__":
    main()
