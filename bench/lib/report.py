#!/usr/bin/env python3
"""Turns bench/run.sh's raw results (JSON lines) into the tables and the PASS/FAIL verdicts (Python stdlib only).

Usage: report.py RESULTS.jsonl

Record kinds written by run.sh:
  meta    {"kind":"meta", ...}                                   what ran, on what, with which settings
  wrk     {"kind":"wrk","setup","conc","run","cpu_ticks","clk_tck", + wrk's BENCHJSON fields}
  mem     {"kind":"mem","setup","hwm_kb","rss_kb"}               after every load run of that setup
  stream  {"kind":"stream","setup", + stream_client.py's fields}
  skip    {"kind":"skip","setup","reason"}                       a setup whose plugin is not built
  soak    {"kind":"soak","setup","samples":[[seconds, rss_kb], ...],"hwm_kb", "requests", ...}

Ratios are always against the nginx proxy measured in the same run. "Added" latency is the setup's median p50
minus the direct upstream's median p50 at the same concurrency.
"""

import json
import statistics
import sys

DIRECT, NGINX = "direct", "nginx-proxy"
LABELS = {
    DIRECT: "upstream direct",
    NGINX: "nginx proxy",
    "floor-nio-proxy": "floor: minimal SwiftNIO proxy",
    "floor-nio-responder": "floor: SwiftNIO responder (no upstream)",
    "floor-hummingbird-responder": "floor: Hummingbird responder (no upstream)",
    "empty": "gatewayhost, empty chain",
    "prompt-injection": "gatewayhost, prompt-injection",
    "pii-detector": "gatewayhost, pii-detector",
    "audit-logger": "gatewayhost, audit-logger",
    "keyword-blocklist": "gatewayhost, keyword-blocklist (C example)",
    "full": "gatewayhost, full default chain",
}
RSS_LIMIT_MIB = 100.0
FLOOR_PREFIX = "floor-"  # bench/floor's reference servers: reported, never judged against the targets


def load(path):
    recs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    return recs


def med(values):
    return statistics.median(values) if values else None


class Summary:
    """Medians per setup and concurrency."""

    def __init__(self, recs):
        self.meta = next((r for r in recs if r["kind"] == "meta"), {})
        self.order = self.meta.get("targets", [])
        self.skipped = {r["setup"]: r["reason"] for r in recs if r["kind"] == "skip"}
        self.wrk = {}
        for r in recs:
            if r["kind"] == "wrk":
                self.wrk.setdefault((r["setup"], r["conc"]), []).append(r)
        self.mem = {r["setup"]: r for r in recs if r["kind"] == "mem"}
        self.stream = {r["setup"]: r for r in recs if r["kind"] == "stream"}
        self.soak = next((r for r in recs if r["kind"] == "soak"), None)

    def runs(self, setup, conc):
        return self.wrk.get((setup, conc), [])

    def rps(self, setup, conc):
        return med([r["requests"] / (r["duration_us"] / 1e6) for r in self.runs(setup, conc)])

    def pct(self, setup, conc, key):
        return med([r[key] for r in self.runs(setup, conc)])

    def cpu_us_per_req(self, setup, conc):
        vals = [r["cpu_ticks"] * 1e6 / r["clk_tck"] / r["requests"] for r in self.runs(setup, conc) if r["requests"]]
        return med(vals)

    def errors(self, setup):
        total = 0
        for conc in (1, 32):
            for r in self.runs(setup, conc):
                total += sum(r[k] for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout"))
        return total

    def added_p50(self, setup, conc=1):
        own, direct = self.pct(setup, conc, "p50_us"), self.pct(DIRECT, conc, "p50_us")
        return None if own is None or direct is None else own - direct


def fmt(value, digits=0, suffix=""):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def ratio(a, b, digits=2):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.{digits}f}×"


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def load_table(s):
    headers = ["setup", "c1 req/s", "c1 p50 µs", "c1 p99 µs", "c1 added p50 µs", "added p50 ÷ nginx's",
               "c32 req/s", "c32 ÷ nginx", "c32 p50 µs", "c32 p99 µs", "CPU µs/req c1 / c32", "peak RSS MiB",
               "RSS end MiB"]
    rows = []
    nginx_added = s.added_p50(NGINX)
    nginx_rps = s.rps(NGINX, 32)
    for setup in s.order:
        label = LABELS.get(setup, setup)
        if setup in s.skipped:
            rows.append([label, f"*{s.skipped[setup]}*"] + [""] * (len(headers) - 2))
            continue
        errors = s.errors(setup)
        if errors:
            label += f" ⚠ {errors} errors"
        mem = s.mem.get(setup, {})
        is_direct = setup == DIRECT
        rows.append([
            label,
            fmt(s.rps(setup, 1)),
            fmt(s.pct(setup, 1, "p50_us")),
            fmt(s.pct(setup, 1, "p99_us")),
            "0 (baseline)" if is_direct else fmt(s.added_p50(setup)),
            "–" if is_direct else ("1.00×" if setup == NGINX else ratio(s.added_p50(setup), nginx_added)),
            fmt(s.rps(setup, 32)),
            ratio(s.rps(setup, 32), nginx_rps),
            fmt(s.pct(setup, 32, "p50_us")),
            fmt(s.pct(setup, 32, "p99_us")),
            f"{fmt(s.cpu_us_per_req(setup, 1), 1)} / {fmt(s.cpu_us_per_req(setup, 32), 1)}",
            fmt(mem.get("hwm_kb", 0) / 1024 if mem else None, 1),
            fmt(mem.get("rss_kb", 0) / 1024 if mem else None, 1),
        ])
    return table(headers, rows)


def stream_table(s):
    headers = ["setup", "TTFB p50 µs", "added TTFB µs", "200-event total p50 µs", "added total µs",
               "added per event µs", "per event ÷ nginx", "after first event: added per event µs"]
    direct = s.stream.get(DIRECT)
    nginx = s.stream.get(NGINX)

    def per_event(rec):
        if rec is None or direct is None:
            return None
        return (rec["total_p50_us"] - direct["total_p50_us"]) / rec["events"]

    def tail(rec):  # median time from the first event to the end of the stream
        return med([t - f for t, f in zip(rec["total_us"], rec["ttfb_us"])])

    def per_event_after_first(rec):
        if rec is None or direct is None:
            return None
        return (tail(rec) - tail(direct)) / (rec["events"] - 1)

    rows = []
    for setup in s.order:
        rec = s.stream.get(setup)
        if setup in s.skipped or rec is None:
            continue
        is_direct = setup == DIRECT
        rows.append([
            LABELS.get(setup, setup),
            fmt(rec["ttfb_p50_us"]),
            "0 (baseline)" if is_direct else fmt(rec["ttfb_p50_us"] - direct["ttfb_p50_us"]),
            fmt(rec["total_p50_us"]),
            "0 (baseline)" if is_direct else fmt(rec["total_p50_us"] - direct["total_p50_us"]),
            "0 (baseline)" if is_direct else fmt(per_event(rec), 2),
            "–" if setup in (DIRECT, NGINX) else ratio(per_event(rec), per_event(nginx)),
            "0 (baseline)" if is_direct else fmt(per_event_after_first(rec), 2),
        ])
    return table(headers, rows), per_event


def verdicts(s, per_event):
    out = []

    def check(name, ok, detail):
        status = "n/a " if ok is None else ("PASS" if ok else "FAIL")
        out.append(f"- {status}  {name}: {detail}")

    nginx_rps, nginx_added = s.rps(NGINX, 32), s.added_p50(NGINX)
    comparison = (("empty", 0.8, 1.5), ("full", 0.5, 2.0)) if s.wrk else ()
    for setup, min_tp, max_lat in comparison:
        label = LABELS[setup]
        if setup in s.skipped or s.rps(setup, 32) is None:
            reason = s.skipped.get(setup, "not measured")
            check(f"{label}: c32 throughput ≥ {min_tp}× nginx", None, reason)
            check(f"{label}: added p50 at c1 ≤ {max_lat}× nginx's", None, reason)
            continue
        tp = s.rps(setup, 32) / nginx_rps
        check(f"{label}: c32 throughput ≥ {min_tp}× nginx", tp >= min_tp,
              f"{tp:.2f}× ({s.rps(setup, 32):,.0f} vs {nginx_rps:,.0f} req/s)")
        added = s.added_p50(setup)
        if nginx_added is not None and nginx_added > 0:
            lat = added / nginx_added
            check(f"{label}: added p50 at c1 ≤ {max_lat}× nginx's", lat <= max_lat,
                  f"{lat:.2f}× ({added:.0f} µs vs {nginx_added:.0f} µs)")
        else:
            check(f"{label}: added p50 at c1 ≤ {max_lat}× nginx's", added <= 0,
                  f"nginx adds {nginx_added} µs; gatewayhost adds {added:.0f} µs")

    # Issue 16's targets: against the minimal SwiftNIO proxy measured in the same run (bench/floor).
    floor = "floor-nio-proxy"
    floor_cpu, floor_added = s.cpu_us_per_req(floor, 32), s.added_p50(floor)
    for setup, max_cpu in (("empty", 1.6), ("full", 2.5)) if s.wrk else ():
        label = LABELS[setup]
        cpu, added = s.cpu_us_per_req(setup, 32), s.added_p50(setup)
        if floor_cpu is None or cpu is None:
            why = "the floor proxy was not measured (bench/floor not built, or --no-floors)" if floor_cpu is None \
                else s.skipped.get(setup, "not measured")
            check(f"{label}: CPU per request at c32 ≤ {max_cpu}× the floor proxy's", None, why)
            check(f"{label}: added p50 at c1 ≤ 2× the floor proxy's", None, why)
            continue
        check(f"{label}: CPU per request at c32 ≤ {max_cpu}× the floor proxy's", cpu <= max_cpu * floor_cpu,
              f"{cpu / floor_cpu:.2f}× ({cpu:.1f} µs vs {floor_cpu:.1f} µs)")
        if floor_added and floor_added > 0 and added is not None:
            check(f"{label}: added p50 at c1 ≤ 2× the floor proxy's", added <= 2 * floor_added,
                  f"{added / floor_added:.2f}× ({added:.0f} µs vs {floor_added:.0f} µs)")
        else:
            check(f"{label}: added p50 at c1 ≤ 2× the floor proxy's", None,
                  f"the floor proxy adds {floor_added} µs: no ratio")

    # What the stack alone reaches against the same targets: a gap the floors share is the stack's, not the
    # gateway's.
    for setup in (x for x in s.order if x.startswith(FLOOR_PREFIX) and s.rps(x, 32) is not None):
        added = s.added_p50(setup)
        latency = (f"added p50 at c1 {added / nginx_added:.2f}× nginx's ({added:.0f} µs vs {nginx_added:.0f} µs)"
                   if nginx_added and added is not None else "added p50 at c1: n/a")
        out.append(f"- info  {LABELS.get(setup, setup)}: c32 throughput {s.rps(setup, 32) / nginx_rps:.2f}× nginx "
                   f"({s.rps(setup, 32):,.0f} req/s), CPU {fmt(s.cpu_us_per_req(setup, 32), 1)} µs/req "
                   f"(nginx {fmt(s.cpu_us_per_req(NGINX, 32), 1)}); {latency}")

    rec = s.stream.get("full")
    if not s.wrk:
        pass
    elif rec is not None and s.stream.get(DIRECT) is not None:
        pe = per_event(rec)
        check("full default chain: streaming adds < 50 µs per event", pe < 50, f"{pe:.2f} µs per event")
    else:
        check("full default chain: streaming adds < 50 µs per event", None, s.skipped.get("full", "not measured"))

    gw = [(k, v) for k, v in s.mem.items() if k not in (DIRECT, NGINX) and not k.startswith(FLOOR_PREFIX)]
    if gw:
        worst = max(gw, key=lambda kv: kv[1]["hwm_kb"])
        mib = worst[1]["hwm_kb"] / 1024
        check(f"peak RSS under c32 load < {RSS_LIMIT_MIB:.0f} MiB (every gatewayhost setup)", mib < RSS_LIMIT_MIB,
              f"highest {mib:.1f} MiB ({LABELS.get(worst[0], worst[0])})")
    if s.soak:
        samples = s.soak["samples"]
        first = min(samples, key=lambda p: abs(p[0] - 60))
        last = samples[-1]
        drift = (last[1] - first[1]) / first[1]
        check(f"RSS after {last[0]:.0f} s of c32 load within 10 % of RSS after {first[0]:.0f} s",
              abs(drift) <= 0.10,
              f"{first[1] / 1024:.1f} → {last[1] / 1024:.1f} MiB ({drift * 100:+.1f} %)")
    else:
        check("RSS after 5 minutes of load within 10 % of RSS after the first minute", None,
              "not measured in this run (bench/run.sh --soak)")
    return "\n".join(out)


def soak_table(s):
    soak = s.soak
    headers = ["after (s)", "VmRSS MiB"]
    samples = soak["samples"]
    # One row per minute (the sample nearest each full minute) keeps the table short.
    marks = sorted({min(samples, key=lambda p: abs(p[0] - m))[0] for m in range(60, int(samples[-1][0]) + 60, 60)}
                   | {samples[0][0], samples[-1][0]})
    rows = [[f"{t:.0f}", f"{kb / 1024:.1f}"] for t, kb in samples if t in marks]
    rps = soak["requests"] / (soak["duration_us"] / 1e6)
    head = (f"Soak: {LABELS.get(soak['setup'], soak['setup'])}, c32 for {soak['duration_us'] / 1e6:.0f} s, "
            f"{rps:,.0f} req/s, {soak['errors']} errors, peak RSS (VmHWM) {soak['hwm_kb'] / 1024:.1f} MiB")
    return head + "\n\n" + table(headers, rows)


def main():
    s = Summary(load(sys.argv[1]))
    m = s.meta
    print(f"# gatewayhost vs nginx reverse proxy ({m.get('date', '')})")
    print()
    print(f"Machine: {m.get('nproc')} cores ({m.get('cpu')}), {m.get('ram')}, kernel {m.get('kernel')}")
    print(f"Servers: {m.get('workers')}")
    print(f"Load: {m.get('load')}")
    print()
    if s.order and s.wrk:
        print(f"## {m.get('api_label', 'Chat completions')} (medians of {m.get('runs')} runs)")
        print()
        print(load_table(s))
        print()
    if s.stream:
        text, per_event = stream_table(s)
        print(f"## SSE stream of 200 chat.completion.chunk events (medians of {m.get('stream_runs')} streams, "
              "one connection each)")
        print()
        print(text)
        print()
    else:
        def per_event(rec):
            return None
    if s.soak:
        print("## " + soak_table(s))
        print()
    print("## Targets (ratios measured in this run)")
    print()
    print(verdicts(s, per_event))


if __name__ == "__main__":
    main()
