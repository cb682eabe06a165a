#!/usr/bin/env python3
"""Writes the configs of bench/run.sh --streams into its work folder (Python stdlib only).

Usage: stream_fixtures.py WORKDIR --mock-port P --proxy-port P --gateway-ports NAME=PORT,... --plugins-dir DIR
                          --streams N --events E --gap-ms G

WORKDIR receives:
  request-streams.json     the benchmark's chat request with "stream": true and stream_options.include_usage (what
                           the OpenAI SDKs send when usage is wanted), model "stream" (the gateway's stream target)
  proxy-streams.conf       the baseline: nginx reverse proxy to the mock (bench/lib/fixtures.py's style), buffering
                           off, enough worker connections and descriptors for N client + N upstream connections
  gateway-streams-NAME.yaml   one gatewayhost config per setup (bench/lib/fixtures.py's), its stream target's
                           base_url selecting E events G ms apart (/eE/gG/v1), its connection and in-flight limits
                           raised above N (their defaults, 10,000 and 1,000, would refuse streams, not measure them)

Everything listens on 127.0.0.1 only.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import fixtures  # noqa: E402  (bench/lib/fixtures.py: the request, the nginx and gateway config styles)


def stream_path(events, gap_ms):
    """The path prefix that selects the mock's stream shape (see stream_mock.c)."""
    return f"/e{events}/g{gap_ms}/v1"


def proxy_conf(work, port, mock_port, streams):
    # One worker, as in the comparison; it holds a client and an upstream connection per stream.
    # nginx counted more than 2N + 256 in use at N = 8,000 ("worker_connections are not enough, reusing
    # connections", and it closed fresh client connections), hence the wider margin.
    connections = max(4096, 2 * streams + 2048)
    # The worker needs a descriptor per connection plus its files; it raises its own limit to this (as root).
    return fixtures.nginx_common(work, "proxy-streams", 1, connections, connections + 1024) + f"""http {{
{fixtures.nginx_http_common(work, "proxy-streams")}
    upstream mock {{
        server 127.0.0.1:{mock_port};
        keepalive 64;
        keepalive_requests 10000000;
    }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        # Streams are relayed as they arrive, the usual reverse-proxy setup for SSE.
        location / {{
            proxy_pass http://mock;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $proxy_host;
            proxy_buffering off;
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--mock-port", type=int, required=True)
    ap.add_argument("--proxy-port", type=int, required=True)
    ap.add_argument("--gateway-ports", default="", help="NAME=PORT,NAME=PORT")
    ap.add_argument("--plugins-dir", required=True)
    ap.add_argument("--streams", type=int, required=True)
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("--gap-ms", type=int, required=True)
    a = ap.parse_args()
    work = os.path.abspath(a.work)

    body = fixtures.chat_request(True)
    body["stream_options"] = {"include_usage": True}
    fixtures.write(f"{work}/request-streams.json", fixtures.compact(body))
    os.makedirs(f"{work}/proxy-streams-tmp", exist_ok=True)
    fixtures.write(f"{work}/proxy-streams.conf", proxy_conf(work, a.proxy_port, a.mock_port, a.streams))
    limits = [f"max_connections: {max(10_000, a.streams + 256)}",
              f"max_inflight_requests: {max(1_000, a.streams + 256)}"]
    for pair in filter(None, a.gateway_ports.split(",")):
        name, port = pair.split("=")
        fixtures.write(f"{work}/gateway-streams-{name}.yaml",
                       fixtures.gateway_conf(work, name, int(port), a.mock_port, a.plugins_dir,
                                             stream_base=stream_path(a.events, a.gap_ms), gateway_extra=limits))


if __name__ == "__main__":
    main()
