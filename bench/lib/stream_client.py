#!/usr/bin/env python3
"""Times an SSE chat stream: time to the first event and time to the end of the stream (Python stdlib only).

Usage: stream_client.py --port P --path /v1/chat/completions --body FILE [--runs N] [--warmup N] [--events 200]

Each run opens a fresh connection (as an SDK client typically does per stream), sends the request, and reads
until the stream's `data: [DONE]`. Prints one JSON line: the per-run times in microseconds and their medians.
It fails (exit 1) when a run does not end with [DONE], has fewer events than sent (or more than a hold-back flush adds), or answers non-200.
"""

import argparse
import json
import socket
import statistics
import sys
import time

DONE = b"data: [DONE]"


HOLD_BACK_EXTRA_EVENTS = 2


def one_stream(port, path, body, events_expected):
    """Returns (ttfb_us, total_us, events) for one streamed request.

    The end of the stream is the end of the HTTP body (content-length reached or the last chunk of a chunked
    body), so the time does not include the connection's close.
    """
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Accept: text/event-stream\r\nAuthorization: Bearer sk-bench-client\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    raw = bytearray()
    payload = bytearray()   # the de-chunked body
    ttfb = None
    head = None             # (status line, content length or None, chunked)
    pos = 0                 # parse position in raw (after the headers)
    finished = False
    try:
        start = time.perf_counter_ns()
        sock.sendall(request)
        while not finished:
            data = sock.recv(65536)
            if not data:
                break
            raw += data
            if head is None:
                end = raw.find(b"\r\n\r\n")
                if end < 0:
                    continue
                head = parse_head(bytes(raw[:end]))
                pos = end + 4
            if head[2]:
                pos, finished = dechunk(raw, pos, payload)
            else:
                payload += raw[pos:]
                pos = len(raw)
                finished = head[1] is not None and len(payload) >= head[1]
            # First event: the first "data:" of the body (headers alone do not count as a first token).
            if ttfb is None and payload.find(b"data:") >= 0:
                ttfb = time.perf_counter_ns() - start
        total = time.perf_counter_ns() - start
    finally:
        sock.close()
    if head is None or b" 200 " not in head[0] + b" ":
        raise RuntimeError(f"stream answered {bytes(raw[:600])!r}")
    if DONE not in payload:
        raise RuntimeError(f"stream ended without [DONE] after {len(payload)} bytes: {bytes(payload[-300:])!r}")
    events = payload.count(b"data: {")
    # A policy that holds text back across events (pii-detector) flushes it as one more delta event before
    # the finish event, so a few extra events are legitimate; fewer means events were lost.
    if not events_expected <= events <= events_expected + HOLD_BACK_EXTRA_EVENTS:
        raise RuntimeError(f"expected {events_expected} events (+{HOLD_BACK_EXTRA_EVENTS} at most), got {events}")
    return ttfb / 1000.0, total / 1000.0, events


def parse_head(head):
    lines = head.split(b"\r\n")
    length, chunked = None, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    return lines[0], length, chunked


def dechunk(raw, pos, payload):
    """Moves every complete chunk from raw[pos:] into payload; returns (new pos, last chunk seen)."""
    while True:
        line_end = raw.find(b"\r\n", pos)
        if line_end < 0:
            return pos, False
        size = int(bytes(raw[pos:line_end]).split(b";")[0], 16)
        if size == 0:
            return line_end + 2, True
        if len(raw) < line_end + 2 + size + 2:
            return pos, False
        payload += raw[line_end + 2: line_end + 2 + size]
        pos = line_end + 2 + size + 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--body", required=True)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--events", type=int, default=200)
    a = ap.parse_args()
    with open(a.body, "rb") as f:
        body = f.read()
    try:
        for _ in range(a.warmup):
            one_stream(a.port, a.path, body, a.events)
        ttfbs, totals = [], []
        for _ in range(a.runs):
            ttfb, total, _ = one_stream(a.port, a.path, body, a.events)
            ttfbs.append(round(ttfb, 1))
            totals.append(round(total, 1))
    except (OSError, RuntimeError) as e:
        print(f"stream_client: {e}", file=sys.stderr)
        return 1
    print(json.dumps({
        "runs": a.runs, "events": a.events,
        "ttfb_us": ttfbs, "total_us": totals,
        "ttfb_p50_us": statistics.median(ttfbs), "total_p50_us": statistics.median(totals),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
