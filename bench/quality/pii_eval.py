#!/usr/bin/env python3
"""Quality and speed benchmark of the pii-detector plugin's detector core (a benchmark, not a test).

It compiles bench/quality/pii_eval_driver.c against Plugins/pii-detector/ into a temporary directory, then
reports on the third-party evaluation data in ../shared/evaldata (relative to the repository; never copied
into it):

  1. presidio-research synth_dataset_v2.json: span-level precision / recall / F2 per entity type the detector
     claims (EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, IBAN_CODE, US_SSN, IP_ADDRESS), with two matching rules:
     "overlap" (same type, IoU >= 0.5; each gold span matched once) and "exact" (same type, same offsets).
     Presidio offsets are Python code points; the detector returns UTF-8 byte offsets, converted here.
  2. presidio-recognizer-tests cases.jsonl: whether the detector's spans of the case's entity type agree with
     the expected count (and spans, when given), per entity type, listing every disagreement.
  3. python-stdnum iban_cases.json: valid IBANs found (alone and inside a sentence); invalid ones redacted
     (must be 0: no detection of any type overlapping them).
  4. Texts without PII labels (BIPIA e-mails, NotInject / WildGuard / self-instruct / awesome-chatgpt-prompts
     prompts): every detection is listed, so a reader can judge which are real personal data and which are
     false positives.
  5. Time per pii_scan call on a ~1 KB and a ~32 KB prompt (median and p90 of many runs), and the cost per
     delta when a ~1 KB answer streams through the hold-back in 8-byte deltas.

Usage (from the repository root):
  python3 bench/quality/pii_eval.py [--data PATH] [--cc cc] [--markdown]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN = os.path.join(REPO, "Plugins", "pii-detector")
CLAIMED = ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "IP_ADDRESS"]
CORE_SOURCES = ["pii_detect.c", "pii_context.c", "pii_finance.c", "pii_phone.c", "pii_net.c", "pii_secrets.c",
                "pii_pattern.c", "pii_hold.c", "pii_redact.c", "pii_stream.c", "pii_buf.c"]


def build_driver(cc: str, workdir: str) -> str:
    exe = os.path.join(workdir, "pii_eval_driver")
    cmd = [cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-I", PLUGIN, "-o", exe,
           os.path.join(REPO, "bench", "quality", "pii_eval_driver.c")]
    cmd += [os.path.join(PLUGIN, s) for s in CORE_SOURCES]
    subprocess.run(cmd, check=True)
    return exe


def encode_records(texts: list[str]) -> bytes:
    out = bytearray()
    for t in texts:
        b = t.encode("utf-8")
        out += str(len(b)).encode() + b"\n" + b
    return bytes(out)


def scan(exe: str, texts: list[str]) -> list[list[tuple[str, int, int]]]:
    """Spans per text as (type, start, end) in code points."""
    res = subprocess.run([exe, "scan"], input=encode_records(texts), capture_output=True, check=True)
    lines = res.stdout.decode().split("\n")
    spans = []
    for text, line in zip(texts, lines):
        b = text.encode("utf-8")
        found = []
        if line:
            for item in line.split("\t"):
                typ, s, e = item.split(" ")
                # byte offset -> code point offset
                cs = len(b[: int(s)].decode("utf-8", errors="ignore"))
                ce = len(b[: int(e)].decode("utf-8", errors="ignore"))
                found.append((typ, cs, ce))
        spans.append(found)
    return spans


def f_beta(p: float, r: float, beta: float = 2.0) -> float:
    if p == 0 and r == 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * p * r / (b2 * p + r)


def iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


def eval_presidio_research(exe: str, data: str) -> dict:
    rows = json.load(open(os.path.join(data, "presidio-research", "synth_dataset_v2.json"), encoding="utf-8"))
    return eval_spans(exe, rows)


def eval_spans(exe: str, rows: list[dict]) -> dict:
    texts = [r["full_text"] for r in rows]
    preds = scan(exe, texts)
    stats = {rule: collections.defaultdict(lambda: [0, 0, 0]) for rule in ("overlap", "exact")}  # tp, fp, fn
    other_types = collections.Counter()
    errors = collections.defaultdict(list)
    for row, pred in zip(rows, preds):
        gold = [(s["entity_type"], s["start_position"], s["end_position"]) for s in row["spans"]
                if s["entity_type"] in CLAIMED]
        pred_claimed = [p for p in pred if p[0] in CLAIMED]
        other_types.update(p[0] for p in pred if p[0] not in CLAIMED)
        for rule in ("overlap", "exact"):
            used = set()
            for p in pred_claimed:
                hit = None
                for gi, g in enumerate(gold):
                    if gi in used or g[0] != p[0]:
                        continue
                    ok = (g[1], g[2]) == (p[1], p[2]) if rule == "exact" else iou((g[1], g[2]), (p[1], p[2])) >= 0.5
                    if ok:
                        hit = gi
                        break
                if hit is None:
                    stats[rule][p[0]][1] += 1
                    if rule == "overlap":
                        covering = [g["entity_type"] for g in row["spans"]
                                    if g["start_position"] < p[2] and p[1] < g["end_position"]]
                        errors["FP " + p[0]].append((row["full_text"][p[1]:p[2]], covering))
                else:
                    used.add(hit)
                    stats[rule][p[0]][0] += 1
            for gi, g in enumerate(gold):
                if gi not in used:
                    stats[rule][g[0]][2] += 1
                    if rule == "overlap":
                        errors["FN " + g[0]].append((row["full_text"][g[1]:g[2]], None))
    return {"stats": stats, "other": other_types, "errors": errors, "records": len(rows)}


def eval_recognizer_tests(exe: str, data: str) -> dict:
    cases = [json.loads(l) for l in open(os.path.join(data, "presidio-recognizer-tests", "cases.jsonl"),
                                         encoding="utf-8") if l.strip()]
    cases = [c for c in cases if c["entity"] in CLAIMED]
    # Phone cases repeat a text with different phonenumbers leniency levels; Presidio's default is 1 (VALID).
    # Use that level's expectation; without it, the most lenient stricter level found is a lower bound that
    # also holds at level 1 (what a stricter level finds, a more lenient one finds too).
    by_text: dict[tuple, list] = collections.defaultdict(list)
    for c in cases:
        by_text[(c["entity"], c["text"])].append(c)
    chosen = []
    for key, group in by_text.items():
        if key[0] != "PHONE_NUMBER" or len(group) == 1:
            chosen.extend(group if key[0] != "PHONE_NUMBER" else group[:1])
            continue
        levels = {c.get("leniency"): c for c in group}
        if 1 in levels:
            chosen.append(levels[1])
        else:
            stricter = sorted(l for l in levels if l is not None and l > 1)
            chosen.append(levels[stricter[0]] if stricter else group[0])
    preds = scan(exe, [c["text"] for c in chosen])
    per = collections.defaultdict(lambda: [0, 0])  # agree, total
    disagreements = []
    for c, pred in zip(chosen, preds):
        mine = [(s, e) for t, s, e in pred if t == c["entity"]]
        exp = [tuple(x) for x in c["expected_spans"]]
        ok = len(mine) == c["expected_count"] and (not exp or sorted(mine) == sorted(exp))
        per[c["entity"]][1] += 1
        if ok:
            per[c["entity"]][0] += 1
        else:
            disagreements.append((c["entity"], c["text"], c["expected_count"], exp, mine, pred))
    return {"per": per, "disagreements": disagreements, "total": len(chosen)}


def eval_stdnum(exe: str, data: str) -> dict:
    cases = json.load(open(os.path.join(data, "python-stdnum", "iban_cases.json"), encoding="utf-8"))
    alone = [c["iban"] for c in cases]
    prefix = "Please transfer the deposit to "
    embedded = [prefix + c["iban"] + " by Friday." for c in cases]
    pa = scan(exe, alone)
    pe = scan(exe, embedded)
    res = {"valid": 0, "valid_found_alone": 0, "valid_found_embedded": 0, "invalid": 0,
           "invalid_redacted": 0, "missed": [], "wrongly_redacted": []}
    for c, a, e in zip(cases, pa, pe):
        n = len(c["iban"])
        full_alone = any(t == "IBAN_CODE" and s == 0 and en == n for t, s, en in a)
        full_emb = any(t == "IBAN_CODE" and s == len(prefix) and en == len(prefix) + n for t, s, en in e)
        touched = a or any(s < len(prefix) + n and en > len(prefix) for t, s, en in e)
        if c["valid"]:
            res["valid"] += 1
            res["valid_found_alone"] += full_alone
            res["valid_found_embedded"] += full_emb
            if not (full_alone and full_emb):
                res["missed"].append(c["iban"])
        else:
            res["invalid"] += 1
            if touched:
                res["invalid_redacted"] += 1
                res["wrongly_redacted"].append((c["iban"], c["label"], a, e))
    return res


def load_unlabelled(data: str) -> dict[str, list[str]]:
    """Texts without PII labels (prompts, instructions, e-mails) for a look at what gets flagged there."""
    import csv
    sets: dict[str, list[str]] = {}
    sets["bipia e-mails"] = [json.loads(l)["context"] for l in open(os.path.join(data, "bipia", "email_test.jsonl"),
                                                                    encoding="utf-8") if l.strip()]
    notinject = []
    for name in ("NotInject_one.json", "NotInject_two.json", "NotInject_three.json"):
        notinject += [r["prompt"] for r in json.load(open(os.path.join(data, "piguard-notinject", name), encoding="utf-8"))]
    sets["NotInject prompts"] = notinject
    sets["wildguard benign prompts"] = [r["prompt"] for r in json.load(
        open(os.path.join(data, "piguard-notinject", "wildguard.json"), encoding="utf-8"))]
    seeds = []
    for l in open(os.path.join(data, "self-instruct", "seed_tasks.jsonl"), encoding="utf-8"):
        r = json.loads(l)
        seeds.append(r["instruction"])
        seeds += [i["input"] + "\n" + i["output"] for i in r["instances"]]
    sets["self-instruct tasks"] = seeds
    with open(os.path.join(data, "awesome-chatgpt-prompts", "prompts.csv"), encoding="utf-8", newline="") as f:
        sets["awesome-chatgpt-prompts"] = [r["prompt"] for r in csv.DictReader(f)]
    return sets


def eval_unlabelled(exe: str, data: str) -> list[tuple[str, int, int, list]]:
    rows = []
    for name, texts in load_unlabelled(data).items():
        preds = scan(exe, texts)
        found = [(t, text[s:e]) for text, pred in zip(texts, preds) for t, s, e in pred]
        rows.append((name, len(texts), sum(len(x.encode()) for x in texts), found))
    return rows


def timing(exe: str, data: str) -> dict:
    rows = json.load(open(os.path.join(data, "presidio-research", "synth_dataset_v2.json"), encoding="utf-8"))
    corpus = "\n".join(r["full_text"] for r in rows)

    def prompt(size: int) -> str:
        b = corpus.encode("utf-8")[:size]
        return b.decode("utf-8", errors="ignore")

    one_k, thirty_two_k = prompt(1024), prompt(32 * 1024)
    res = subprocess.run([exe, "bench", "20000"], input=encode_records([one_k]), capture_output=True, check=True)
    m1, p1 = map(int, res.stdout.split())
    res = subprocess.run([exe, "bench", "2000"], input=encode_records([thirty_two_k]), capture_output=True, check=True)
    m32, p32 = map(int, res.stdout.split())
    res = subprocess.run([exe, "stream", "2000", "8"], input=encode_records([one_k]), capture_output=True, check=True)
    sd, nd = map(int, res.stdout.split())
    return {"1k": (len(one_k.encode()), m1, p1), "32k": (len(thirty_two_k.encode()), m32, p32),
            "stream": (sd, nd), "pii_in_1k": len(scan(exe, [one_k])[0]), "pii_in_32k": len(scan(exe, [thirty_two_k])[0])}


def span_tables(pr: dict, w, verbose: bool) -> None:
    for rule in ("overlap", "exact"):
        w(f"Matching rule: **{rule}**" + (" (same type, IoU >= 0.5)" if rule == "overlap" else " (same type, same offsets)"))
        w("")
        w("| entity | gold | TP | FP | FN | precision | recall | F2 |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|")
        tt = [0, 0, 0]
        for t in CLAIMED:
            tp, fp, fn = pr["stats"][rule][t]
            tt = [tt[0] + tp, tt[1] + fp, tt[2] + fn]
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            w(f"| {t} | {tp + fn} | {tp} | {fp} | {fn} | {p:.3f} | {r:.3f} | {f_beta(p, r):.3f} |")
        tp, fp, fn = tt
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        w(f"| **all claimed (micro)** | {tp + fn} | {tp} | {fp} | {fn} | {p:.3f} | {r:.3f} | **{f_beta(p, r):.3f}** |")
        w("")
    if pr["other"]:
        w("Detections of types the dataset does not label (secrets): " +
          ", ".join(f"{k} {v}" for k, v in sorted(pr["other"].items())))
    else:
        w("Detections of types the dataset does not label (secrets): none.")
    w("")
    if verbose:
        w("Errors (overlap rule):")
        for k in sorted(pr["errors"]):
            w(f"- {k} ({len(pr['errors'][k])}): " + "; ".join(
                repr(v) + (f" [gold: {','.join(c)}]" if c else "") for v, c in pr["errors"][k]))
        w("")


def report(pr: dict, fk: dict | None, rt: dict, sn: dict, un: list, tm: dict, verbose: bool) -> str:
    out = []
    w = out.append
    w(f"### presidio-research synth_dataset_v2 ({pr['records']} sentences; development data)\n")
    span_tables(pr, w, verbose)
    if fk is None:
        w("### Faker set: skipped (`pip install faker` to run it)\n")
    else:
        w(f"### Faker set ({fk['records']} sentences, seed {fk['seed']}; see pii_faker_set.py for which seed is held out)\n")
        span_tables(fk, w, True)
    w(f"### presidio-recognizer-tests ({rt['total']} cases of claimed types)\n")
    w("| entity | agree | cases |")
    w("|---|---:|---:|")
    for t in CLAIMED:
        a, n = rt["per"].get(t, [0, 0])
        w(f"| {t} | {a} | {n} |")
    a = sum(v[0] for v in rt["per"].values())
    w(f"| **all** | **{a}** | {rt['total']} |")
    w("")
    w("Disagreements:")
    for ent, text, cnt, exp, mine, pred in rt["disagreements"]:
        w(f"- {ent} {text!r}: expected {cnt} {exp}, got {len(mine)} {mine}")
    w("")
    w("### python-stdnum IBAN cases\n")
    w(f"- valid IBANs found whole: {sn['valid_found_alone']}/{sn['valid']} alone, "
      f"{sn['valid_found_embedded']}/{sn['valid']} inside a sentence")
    w(f"- invalid IBANs redacted (any detection touching them): **{sn['invalid_redacted']}/{sn['invalid']}**")
    if sn["missed"]:
        w(f"- valid ones missed: {', '.join(repr(x) for x in sn['missed'])}")
    for iban, label, a, e in sn["wrongly_redacted"]:
        w(f"- invalid but redacted: {iban!r} ({label}): {a} / {e}")
    w("")
    w("### Texts without PII labels (what a deployment would redact in ordinary prompts)\n")
    w("| set | texts | bytes | detections |")
    w("|---|---:|---:|---|")
    for name, n, nbytes, found in un:
        by_type = collections.Counter(t for t, _ in found)
        w(f"| {name} | {n} | {nbytes} | " + (", ".join(f"{k} {v}" for k, v in sorted(by_type.items())) or "none") + " |")
    w("")
    for name, n, nbytes, found in un:
        for t, v in found:
            w(f"- {name}: {t} {v!r}")
    w("")
    w("### Speed (pii_scan, all built-in types, median of many runs on this machine)\n")
    n1, m1, p1 = tm["1k"]
    n32, m32, p32 = tm["32k"]
    sd, nd = tm["stream"]
    w(f"- {n1}-byte prompt ({tm['pii_in_1k']} findings): median **{m1 / 1000:.1f} us**, p90 {p1 / 1000:.1f} us")
    w(f"- {n32}-byte prompt ({tm['pii_in_32k']} findings): median **{m32 / 1000:.1f} us**, p90 {p32 / 1000:.1f} us "
      f"({m32 / n32:.1f} ns/byte)")
    w(f"- streaming the 1 KB text in {nd} deltas of 8 bytes through the hold-back: median {sd / 1000:.2f} us per delta")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.normpath(os.path.join(REPO, "..", "shared", "evaldata")),
                    help="the evaldata folder (default: ../shared/evaldata relative to the repository)")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--errors", action="store_true", help="list every presidio-research error")
    ap.add_argument("--faker-n", type=int, default=1200, help="sentences in the Faker set")
    ap.add_argument("--faker-seed", type=int, default=None, help="seed of the Faker set (default: the held-out seed)")
    args = ap.parse_args()
    if not os.path.isdir(args.data):
        print(f"evaluation data not found at {args.data} (use --data)", file=sys.stderr)
        return 2
    workdir = tempfile.mkdtemp(prefix="pii_eval_")
    try:
        exe = build_driver(args.cc, workdir)
        pr = eval_presidio_research(exe, args.data)
        fk = None
        try:
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import pii_faker_set
            if args.faker_seed is None:
                args.faker_seed = pii_faker_set.SEED
            rows = pii_faker_set.generate(args.faker_n, args.faker_seed)
            fk = eval_spans(exe, rows)
            fk["seed"] = args.faker_seed
        except ImportError:
            pass
        rt = eval_recognizer_tests(exe, args.data)
        sn = eval_stdnum(exe, args.data)
        un = eval_unlabelled(exe, args.data)
        tm = timing(exe, args.data)
        print(report(pr, fk, rt, sn, un, tm, args.errors))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
