#!/usr/bin/env python3
"""The report of bench/run.sh --streams: one table and PASS/FAIL lines against issue 16 (Python stdlib only).

Usage: stream_report.py RESULTS.jsonl

Records (written by bench/streams/streams.sh):
  meta     {"kind":"meta","mode":"streams","streams","events","gap_ms","rate","nofile","targets", machine fields}
  streams  {"kind":"streams","setup","cpu_ticks","clk_tck","rss_idle_kb","rss_open_kb","rss_end_kb",
            + stream_load's JSON: ok, failed, failures, events, p50_us, p99_us, p999_us, max_us, all_open_*}

CPU per event = the server's utime + stime during the run ÷ the events the client received (connection set-up
and teardown included, as a stream costs them). RSS per open stream = (VmRSS with all N open − VmRSS idle
before the run) ÷ N. "Added p99" = the setup's p99 event latency − the p99 of the mock called directly.
Ratios are against the nginx proxy of the same run.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from report import LABELS, fmt, ratio, table  # noqa: E402  (bench/lib/report.py: the tables' style)

DIRECT, NGINX = "direct", "nginx-proxy"
LABELS = dict(LABELS, **{DIRECT: "mock upstream direct"})
TARGET_STREAMS = 8000
MAX_CPU_RATIO = 2.0
MAX_ADDED_P99_US = 2000.0
MAX_RSS_KIB = 24.0


def cpu_per_event(r):
    return r["cpu_ticks"] * 1e6 / r["clk_tck"] / r["events"] if r and r["events"] else None


def rss_per_stream(r, n):
    """(KiB, sampled): the sample with all N open; when a server too slow to keep up never had them all open at
    once (its first streams ended before its last opened), its peak (VmHWM) over the most streams open at once."""
    if r and r.get("rss_open_kb") is not None:
        return (r["rss_open_kb"] - r["rss_idle_kb"]) / n, True
    if r and r.get("rss_hwm_kb") and r.get("max_open"):
        return (r["rss_hwm_kb"] - r["rss_idle_kb"]) / r["max_open"], False
    return None, False


def rss_text(r, n):
    kib, sampled = rss_per_stream(r, n)
    return fmt(kib, 1) + ("" if sampled or kib is None else "*")


def pct(r, key):
    return r[key] if r and r.get(key, -1) >= 0 else None


def main():
    recs = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
    meta = next((r for r in recs if r["kind"] == "meta"), {})
    runs = {r["setup"]: r for r in recs if r["kind"] == "streams"}
    skipped = {r["setup"]: r["reason"] for r in recs if r["kind"] == "skip"}
    n = meta.get("streams", 0)
    direct, nginx = runs.get(DIRECT), runs.get(NGINX)

    def added_p99(r):
        own, base = pct(r, "p99_us"), pct(direct, "p99_us")
        return None if own is None or base is None else own - base

    print(f"# Stream scale: gatewayhost vs nginx reverse proxy ({meta.get('date', '')})")
    print()
    print(f"Machine: {meta.get('nproc')} cores ({meta.get('cpu')}), {meta.get('ram')}, kernel {meta.get('kernel')}")
    print(f"Load: {n:,} concurrent streams (bench/streams/stream_load.c, one connection each, {meta.get('rate'):,} "
          f"connects/s), {meta.get('events')} chat.completion.chunk events {meta.get('gap_ms')} ms apart + usage "
          f"chunk + [DONE] (bench/streams/stream_mock.c); servers one at a time; open-file limit {meta.get('nofile')}")
    if meta.get("gateway"):
        print(f"gatewayhost: {meta['gateway']}")
    print()
    headers = ["setup", "streams ok / failed", "events", "CPU µs/event", "÷ nginx", "p50 µs", "p99 µs", "p99.9 µs",
               "max µs", "added p99 µs", "connect → 1st event p50 / max ms", "RSS idle → N open MiB", "RSS KiB/open stream", "÷ nginx",
               "all open (s of run)", "load avg before", "CPU pressure"]
    rows = []
    for setup in meta.get("targets", []) + [s for s in skipped if s not in meta.get("targets", [])]:
        label = LABELS.get(setup, setup)
        if setup in skipped:
            rows.append([label, f"*{skipped[setup]}*"] + [""] * (len(headers) - 2))
            continue
        r = runs.get(setup)
        if r is None:
            rows.append([label, "*not run*"] + [""] * (len(headers) - 2))
            continue
        failed = f"{r['failed']:,}"
        if r["failed"]:
            failed += " (" + ", ".join(f"{k} {v}" for k, v in r["failures"].items() if v) + ")"
        window = (f"never (at most {r.get('max_open', 0):,})" if r.get("all_open_from_s") is None else
                  f"{r['all_open_from_s']:.1f}–{r['all_open_to_s']:.1f}")
        rss_open = r.get("rss_open_kb")
        rows.append([
            label,
            f"{r['ok']:,} / {failed}",
            f"{r['events']:,}",
            fmt(cpu_per_event(r), 1),
            "–" if setup in (DIRECT, NGINX) else ratio(cpu_per_event(r), cpu_per_event(nginx)),
            fmt(pct(r, "p50_us")), fmt(pct(r, "p99_us")), fmt(pct(r, "p999_us")), fmt(pct(r, "max_us")),
            "0 (baseline)" if setup == DIRECT else fmt(added_p99(r)),
            (f"{r['first_event_ms']['p50']:,.0f} / {r['first_event_ms']['max']:,.0f}" if "first_event_ms" in r
             else "–"),
            f"{r['rss_idle_kb'] / 1024:.1f} → {fmt(rss_open / 1024 if rss_open is not None else None, 1)}",
            rss_text(r, n),
            "–" if setup in (DIRECT, NGINX) else ratio(rss_per_stream(r, n)[0], rss_per_stream(nginx, n)[0]),
            window,
            fmt(r.get("loadavg"), 2),
            "–" if r.get("cpu_pressure") is None else f"{r['cpu_pressure'] * 100:.0f} %",
        ])
    print(table(headers, rows))
    print()
    print("Connect → 1st event includes the mock's start offset (random within one gap) and any wait to be "
          "accepted (a SYN dropped by a full listen queue is retried after 1, 3, 7 … s).")
    print("CPU pressure: the share of the run in which some task waited for a core (/proc/pressure/cpu): other "
          "work on the machine (also in the load average before the run), or the run's own processes when the server "
          "needs more CPU than the cores left to it; either stretches every latency.")
    if any(not rss_per_stream(r, n)[1] and rss_per_stream(r, n)[0] is not None for r in runs.values()):
        print()
        print("\\* never all N open at once (the first streams ended before the last opened): peak RSS (VmHWM) "
              "during the run − idle RSS, ÷ the most streams open at once")
    print()

    tcp = [(LABELS.get(k, k), {c: v for c, v in r.get("tcp", {}).items() if v}) for k, r in runs.items()]
    if any(counters for _, counters in tcp):
        print("Kernel TCP counters during each run (/proc/net/netstat; a full listen queue drops or resets "
              "connections):")
        print()
        for label, counters in tcp:
            print(f"- {label}: " + (", ".join(f"{c} +{v:,}" for c, v in counters.items()) or "none"))
        print()

    failed = [(LABELS.get(k, k), r["first_failure"]) for k, r in runs.items() if r.get("first_failure")]
    if failed:
        print("First failed stream of each run (cause, HTTP status, events received, its last body line):")
        print()
        for label, f in failed:
            line = f["last_line"][:160] + ("…" if len(f["last_line"]) > 160 else "")
            print(f"- {label}: {f['cause']}, status {f['status']}, {f['events']} events, last line `{line}`")
        print()

    print("## Targets (issue 16: full default chain at N = 8,000; ratios measured in this run)")
    print()
    if n != TARGET_STREAMS:
        print(f"(this run: N = {n:,}; the targets are stated for N = {TARGET_STREAMS:,})")
        print()

    def check(name, ok, detail):
        status = "n/a " if ok is None else ("PASS" if ok else "FAIL")
        print(f"- {status}  {name}: {detail}")

    for setup in meta.get("targets", []):
        if setup in (DIRECT, NGINX):
            continue
        r, label = runs.get(setup), LABELS.get(setup, setup)
        if r is None:
            check(f"{label}: {n:,} streams", None, "not measured")
            continue
        check(f"{label}: 0 failed streams", r["failed"] == 0, f"{r['ok']:,} ok, {r['failed']:,} failed")
        own, base = cpu_per_event(r), cpu_per_event(nginx)
        if own is not None and base:
            check(f"{label}: CPU per event ≤ {MAX_CPU_RATIO:g}× nginx's", own / base <= MAX_CPU_RATIO,
                  f"{own / base:.2f}× ({own:.1f} µs vs {base:.1f} µs)")
        else:
            check(f"{label}: CPU per event ≤ {MAX_CPU_RATIO:g}× nginx's", None, "no events")
        added = added_p99(r)
        check(f"{label}: added p99 per event ≤ {MAX_ADDED_P99_US / 1000:g} ms", None if added is None else
              added <= MAX_ADDED_P99_US, "no events" if added is None else
              f"{added:,.0f} µs (p99 {pct(r, 'p99_us'):,.0f} µs vs {pct(direct, 'p99_us'):,.0f} µs direct; "
              f"nginx adds {fmt(added_p99(nginx))} µs)")
        rss, sampled = rss_per_stream(r, n)
        how = "" if sampled else f", from its peak with at most {r.get('max_open', 0):,} open at once"
        check(f"{label}: RSS per open stream ≤ {MAX_RSS_KIB:g} KiB", None if rss is None else rss <= MAX_RSS_KIB,
              "no memory sample" if rss is None else f"{rss:.1f} KiB{how} (nginx {rss_text(nginx, n)} KiB)")


if __name__ == "__main__":
    main()
