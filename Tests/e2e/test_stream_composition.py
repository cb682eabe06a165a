"""Streamed text through several policies that hold text back: what one policy releases with insert_delta is
an event every later policy sees, in order, exactly like an upstream event (they may hold it back, redact it,
deny it).

The upstream is the mock's `mock-pieces` model: it streams an exact text in exact pieces, scripted per request
id beside the request (POST /__mock/script), so no policy can change the script on its way. The stream policies
are the ones subscribing to on_stream_chunk: pii-detector (redact mode holds the last token back) and
keyword-blocklist with scan_output (holds the last longest-keyword - 1 bytes back). prompt-injection and
audit-logger have no on_stream_chunk hook; they only take part in the reference chain test.

The oracles, for every chain (each policy alone, every ordered pair, a plugin twice) and both APIs:
- a clean text arrives byte for byte, in order (Chat deltas; Responses deltas and the final full-text events);
- a text with personal data arrives exactly as the same request answered as JSON (non-streamed);
- a text with a blocked keyword, wherever it sits and however it is cut, is blocked (as the JSON answer is, 409
  output_blocked): the stream ends with the SSE error event (the SDK raises) and the keyword never reaches the
  client; what did arrive before the error is a prefix of the upstream text.
The property tests draw texts and cuts from seeds: a fixed list for CI; E2E_COMPOSITION_SEEDS="1,2,3" or
"random:200" runs others (each seed is in the test id, so a failure names it).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import openai
import pytest

from conftest import _start, _stop
from e2e_support import ABI_INCLUDE, REPO, assert_error_body, make_client, openai_target, parse_sse, request_id

PIECES_MODEL = "mock-pieces"
KEYWORD = "forbidden-word"
KEYWORD_2 = "hush-hush"  # the second blocklist's: shorter, so the two hold back different amounts
EMAIL = "jane.roe@example.org"
CARD = "4111 1111 1111 1111"
REPRO_TEXT = "hello there my friend, how are you today"

# Chain entry -> (plugin, its config). Entries ending in -2 run the same plugin a second time.
POLICIES = {
    "pii-detector": ("pii-detector", {"action": "redact"}),
    "pii-detector-2": ("pii-detector", {"action": "redact"}),
    "keyword-blocklist": ("keyword-blocklist", {"keywords": [KEYWORD], "scan_output": True}),
    "keyword-blocklist-2": ("keyword-blocklist", {"keywords": [KEYWORD_2], "scan_output": True}),
}
SHORT = {"pii-detector": "pii", "pii-detector-2": "pii2", "keyword-blocklist": "kw", "keyword-blocklist-2": "kw2"}

SINGLES = [("pii-detector",), ("keyword-blocklist",)]
PAIRS = [
    ("pii-detector", "keyword-blocklist"),
    ("keyword-blocklist", "pii-detector"),
    ("keyword-blocklist", "keyword-blocklist-2"),
    ("pii-detector", "pii-detector-2"),
]
CHAINS = SINGLES + PAIRS
REFERENCE_CHAIN = ("prompt-injection", "pii-detector", "keyword-blocklist", "audit-logger")
APIS = ["chat", "responses"]


def chain_id(chain) -> str:
    return ">".join(SHORT.get(entry, entry) for entry in chain)


def keywords_of(chain) -> list[tuple[str, str]]:
    """(keyword, the chain entry that blocks it) for every blocklist in the chain."""
    return [(kw, entry) for entry in chain if POLICIES.get(entry, ("",))[0] == "keyword-blocklist"
            for kw in POLICIES[entry][1]["keywords"]]


def redacts(chain) -> bool:
    return any(POLICIES.get(entry, ("",))[0] == "pii-detector" for entry in chain)


def every(n: int, text: str) -> list[int]:
    """Pieces of n characters (the last one shorter)."""
    return [min(n, len(text) - start) for start in range(0, len(text), n)]


def cycled(lengths: list[int], text: str) -> list[int]:
    pieces, index, left = [], 0, len(text)
    while left:
        piece = min(lengths[index % len(lengths)], left)
        pieces.append(piece)
        left -= piece
        index += 1
    return pieces


def random_pieces(rng: random.Random, text: str) -> list[int]:
    """Random cuts of 1..12 characters (code points, never bytes)."""
    pieces, left = [], len(text)
    while left:
        piece = min(rng.randint(1, 12), left)
        pieces.append(piece)
        left -= piece
    return pieces


# ------------------------------------------------------------------------------------------- plugins, gateways

@pytest.fixture(scope="module")
def composition_plugins():
    """The stream policies (and the reference chain's other two), built from Plugins/ with cc into a private
    0755 folder, as an operator would."""
    root = Path(tempfile.mkdtemp(prefix="gw-e2e-composition-"))
    folder = root / "plugins.d"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    sources = {name: sorted(str(p) for p in (REPO / "Plugins" / name).glob("*.c"))
               for name in ("pii-detector", "prompt-injection", "audit-logger")}
    sources["keyword-blocklist"] = [str(REPO / "Plugins" / "Examples" / "keyword-blocklist" / "keyword_blocklist.c")]
    built = {}
    for name, files in sources.items():
        output = folder / f"{name}.so"
        subprocess.run(
            ["cc", "-std=c11", "-O2", "-fPIC", "-fvisibility=hidden", "-shared", "-I", str(ABI_INCLUDE), "-I", str(ABI_INCLUDE.parents[2] / "Plugins" / "common"),
             "-o", str(output), *files, "-lm"], check=True, capture_output=True, timeout=300)
        os.chmod(output, 0o644)
        built[name] = output
    yield built
    shutil.rmtree(root, ignore_errors=True)


def chain_config(mock_port: int, chain, plugins: dict[str, Path], audit_folder: Path | None = None) -> dict:
    policy = {}
    for entry in chain:
        if entry == "prompt-injection":
            plugin, config = entry, {"threshold": 0.5, "response": {"action": "block"}}
        elif entry == "audit-logger":
            plugin, config = entry, {"path": str(audit_folder), "log_all_access": True}
        else:
            plugin, config = POLICIES[entry]
        policy[entry] = {"plugin": {"file": str(plugins[plugin])}, **config}
    return {
        "pack": {"name": "e2e-composition", "version": "1.0.0"},
        "policies": {"chain": list(chain)},
        "policy": policy,
        "providers": {"strategy": "single", "targets": [
            openai_target("pieces", PIECES_MODEL, f"http://127.0.0.1:{mock_port}/v1")]},
    }


@dataclass
class Received:
    """What a client got from one stream (through the SDK)."""
    text: str = ""                                   # the deltas, concatenated
    finals: list[str] = field(default_factory=list)  # Responses: output_text.done and response.completed texts
    dumped: str = ""                                 # every event the SDK yielded, as JSON
    error: openai.APIError | None = None             # raised at create (status) or mid-stream (SSE error event)


class ChainUnderTest:
    """One gateway serving one chain in front of mock-pieces, and the official SDK on it."""

    def __init__(self, mock, gateway) -> None:
        self.mock = mock
        self.gateway = gateway
        self.client = make_client(gateway)

    def script(self, text: str, pieces: list[int], ascii: bool = False) -> str:
        rid = request_id("composition")
        self.mock.script(rid, text, pieces, ascii=ascii)
        return rid

    def stream(self, api: str, rid: str) -> Received:
        got = Received()
        texts, dumps = [], []
        try:
            if api == "chat":
                stream = self.client.chat.completions.create(
                    model=PIECES_MODEL, messages=[{"role": "user", "content": "go"}], stream=True,
                    extra_headers={"x-request-id": rid})
                for chunk in stream:
                    dumps.append(chunk.model_dump_json())
                    texts += [choice.delta.content or "" for choice in chunk.choices]
            else:
                stream = self.client.responses.create(
                    model=PIECES_MODEL, input="go", stream=True, extra_headers={"x-request-id": rid})
                for event in stream:
                    dumps.append(event.model_dump_json())
                    if event.type == "response.output_text.delta":
                        texts.append(event.delta)
                    elif event.type == "response.output_text.done":
                        got.finals.append(event.text)
                    elif event.type == "response.completed":
                        got.finals.append(event.response.output_text)
        except openai.APIError as error:
            got.error = error
        got.text, got.dumped = "".join(texts), "\n".join(dumps)
        return got

    def answer(self, api: str, rid: str) -> str:
        """The same exchange non-streamed: the answer text (policy blocks raise ConflictError)."""
        if api == "chat":
            completion = self.client.chat.completions.create(
                model=PIECES_MODEL, messages=[{"role": "user", "content": "go"}], extra_headers={"x-request-id": rid})
            return completion.choices[0].message.content
        return self.client.responses.create(
            model=PIECES_MODEL, input="go", extra_headers={"x-request-id": rid}).output_text

    def raw(self, api: str, rid: str) -> tuple[int, str]:
        """The stream's bytes as they came over the wire (status, body)."""
        if api == "chat":
            path, body = "/v1/chat/completions", {"model": PIECES_MODEL, "stream": True,
                                                  "messages": [{"role": "user", "content": "go"}]}
        else:
            path, body = "/v1/responses", {"model": PIECES_MODEL, "stream": True, "input": "go"}
        with self.gateway.http.stream("POST", path, json=body, headers={"x-request-id": rid}) as response:
            return response.status_code, response.read().decode()

    def close(self) -> None:
        self.client.close()


@pytest.fixture(scope="module")
def audit_folder():
    folder = Path(tempfile.mkdtemp(prefix="gw-e2e-composition-audit-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def chains(mock, composition_plugins, audit_folder):
    """chains(chain) -> ChainUnderTest: one gateway per chain, started on first use, kept for the module."""
    started: dict[tuple, ChainUnderTest] = {}

    def get(chain) -> ChainUnderTest:
        chain = tuple(chain)
        if chain not in started:
            config = chain_config(mock.port, chain, composition_plugins, audit_folder)
            started[chain] = ChainUnderTest(mock, _start(config, composition_plugins))
        return started[chain]

    yield get
    for under_test in started.values():
        under_test.close()
        _stop(under_test.gateway)


# ------------------------------------------------------------------------------------------- assertions

def describe(text: str, pieces: list[int]) -> str:
    cuts, start = [], 0
    for n in pieces:
        cuts.append(text[start:start + n])
        start += n
    return f"upstream text {text!r} in pieces {cuts!r}"


def assert_arrives_exactly(got: Received, api: str, expected: str, context: str) -> None:
    assert got.error is None, f"{context}: the stream failed: {got.error!r} (after {got.text!r})"
    assert got.text == expected, f"{context}: the client reassembled {got.text!r}, expected {expected!r}"
    if api == "responses":
        assert got.finals and all(final == expected for final in got.finals), \
            f"{context}: the final events carry {got.finals!r}, expected {expected!r}"


def assert_blocked_stream(got: Received, text: str, keyword: str, policy: str, context: str) -> None:
    """Blocked (an SSE error event, or 409 before streaming), keyword never received, no reordering."""
    assert got.error is not None, f"{context}: the stream was not blocked; the client received {got.text!r}"
    assert got.error.code == "output_blocked", f"{context}: {got.error!r} {got.error.body!r}"
    assert isinstance(got.error.body, dict) and got.error.body.get("policy") == policy, \
        f"{context}: blocked by {got.error.body!r}, expected policy {policy}"
    for seen in (got.text, got.dumped, *got.finals):
        assert keyword.lower() not in seen.lower(), f"{context}: the client received the keyword: {seen!r}"
    assert text.startswith(got.text), \
        f"{context}: what arrived before the block, {got.text!r}, is not a prefix of the upstream text"


def assert_blocked_on_the_wire(status: int, raw: str, keyword: str, policy: str, context: str) -> None:
    assert keyword.lower() not in raw.lower(), f"{context}: the keyword went over the wire:\n{raw}"
    if status != 200:
        assert status == 409, f"{context}: status {status}: {raw}"
        assert_error_body(json.loads(raw), type_="policy_violation", code="output_blocked")
        return
    events = parse_sse(raw)
    assert events and events[-1]["event"] == "error", f"{context}: the stream did not end with an error event:\n{raw}"
    error = assert_error_body(json.loads(events[-1]["data"]), type_="policy_violation", code="output_blocked")
    assert error.get("policy") == policy, f"{context}: {error}"
    assert all(e["data"] != "[DONE]" and e["event"] != "response.completed" for e in events), \
        f"{context}: a blocked stream must not look complete:\n{raw}"


def assert_blocked_answer(under_test: ChainUnderTest, api: str, rid: str, policy: str, context: str) -> None:
    with pytest.raises(openai.ConflictError) as caught:
        under_test.answer(api, rid)
    assert caught.value.code == "output_blocked", f"{context}: {caught.value.body!r}"
    assert caught.value.body.get("policy") == policy, f"{context}: {caught.value.body!r}"


# ------------------------------------------------------------------------------------------- the reported case

@pytest.mark.parametrize("api", APIS)
def test_reproduction_text_arrives_in_order(chains, api):
    # pii-detector holds the last token back, keyword-blocklist the last 13 bytes: the reported client text
    # was "hello there my friend,today how are you " (the released pieces reordered).
    under_test = chains(("pii-detector", "keyword-blocklist"))
    pieces = every(5, REPRO_TEXT)
    rid = under_test.script(REPRO_TEXT, pieces)
    assert under_test.answer(api, rid) == REPRO_TEXT, "precondition: nothing to redact or block"
    assert_arrives_exactly(under_test.stream(api, rid), api, REPRO_TEXT, describe(REPRO_TEXT, pieces))


@pytest.mark.parametrize("api", APIS)
def test_reproduction_answer_ending_in_the_keyword_is_blocked(chains, api):
    # The keyword is the last token: pii-detector holds it until the final event and releases it with
    # insert_delta, which keyword-blocklist (next in the chain) must see.
    under_test = chains(("pii-detector", "keyword-blocklist"))
    text = f"hello there my friend, how are you {KEYWORD}"
    pieces = every(5, text)
    rid = under_test.script(text, pieces)
    context = describe(text, pieces)
    assert_blocked_answer(under_test, api, rid, "keyword-blocklist", context + " (non-streamed)")
    got = under_test.stream(api, rid)
    assert isinstance(got.error, openai.APIError) and not isinstance(got.error, openai.APIStatusError), \
        f"{context}: expected the SSE error event mid-stream (the SDK raising APIError), got {got.error!r}"
    assert_blocked_stream(got, text, KEYWORD, "keyword-blocklist", context)
    status, raw = under_test.raw(api, rid)
    assert status == 200, raw
    assert_blocked_on_the_wire(status, raw, KEYWORD, "keyword-blocklist", context)


# ------------------------------------------------------------------------------------------- every chain

CLEAN_TEXTS = {
    "repro": REPRO_TEXT,
    "unicode": "Grüße aus 東京 🚀 — café, naïve résumé; 42 items (x2) ok!\nZweite Zeile: 日本語 🇫🇷 done.",
}
SPLITS = {
    "every5": lambda text: every(5, text),
    "every1": lambda text: every(1, text),
    "mixed": lambda text: cycled([1, 12, 3, 7, 2, 11, 5, 9, 4], text),
    "whole": lambda text: [len(text)],
}


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("text_name", CLEAN_TEXTS)
@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("chain", CHAINS, ids=chain_id)
def test_composition_clean_text_is_byte_identical(chains, chain, api, text_name, split):
    under_test = chains(chain)
    text = CLEAN_TEXTS[text_name]
    pieces = SPLITS[split](text)
    rid = under_test.script(text, pieces)
    assert_arrives_exactly(under_test.stream(api, rid), api, text, f"{chain_id(chain)}: {describe(text, pieces)}")


PII_TEXTS = {
    "email-middle": f"Please write to {EMAIL} before noon, thanks.",
    "email-end": f"hello there my friend, reach me at {EMAIL}",
    "card-middle": f"The card {CARD} was charged twice today.",
    "card-end": f"charge it to {CARD}",
    "both": f"mail {EMAIL} or pay with {CARD}, whichever is easier",
}


@pytest.mark.parametrize("split", ["every5", "every1", "mixed"])
@pytest.mark.parametrize("case", PII_TEXTS)
@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("chain", CHAINS, ids=chain_id)
def test_composition_pii_is_redacted_as_in_the_json_answer(chains, chain, api, case, split):
    under_test = chains(chain)
    text = PII_TEXTS[case]
    pieces = SPLITS[split](text)
    rid = under_test.script(text, pieces)
    context = f"{chain_id(chain)}: {describe(text, pieces)}"
    expected = under_test.answer(api, rid)
    if redacts(chain):
        assert EMAIL not in expected and "4111" not in expected, f"precondition: the JSON answer redacts: {expected}"
        assert "[EMAIL_ADDRESS]" in expected or "[CREDIT_CARD]" in expected, expected
    else:
        assert expected == text, f"precondition: nothing to redact without pii-detector: {expected!r}"
    assert_arrives_exactly(under_test.stream(api, rid), api, expected, context)
    if redacts(chain):
        status, raw = under_test.raw(api, rid)
        assert status == 200, raw
        for value in (EMAIL, "4111"):
            assert value not in raw, f"{context}: {value} went over the wire:\n{raw}"


def keyword_placements(keyword: str) -> dict[str, tuple[str, list[int]]]:
    """Where the keyword sits and how the text around it is cut: name -> (text, pieces)."""
    end = f"hello there my friend, how are you {keyword}"
    placements = {
        "start": f"{keyword} is the first thing said, then more words follow.",
        "middle": f"hello there, the {keyword} sits in the middle of this answer.",
        "end": end,
        "end-glued": f"hello there my friend,{keyword}",
        "end-punctuation": f"you must never say {keyword}.",
        "alone": keyword,
    }
    cases = {name: (text, every(5, text)) for name, text in placements.items()}
    cases["end-every1"] = (end, every(1, end))
    cases["end-whole-piece"] = (end, [len(end) - len(keyword), len(keyword)])
    cases["end-split-in-two"] = (end, [len(end) - len(keyword) + 4, len(keyword) - 4])
    cases["middle-mixed"] = (placements["middle"], cycled([1, 12, 3, 7, 2, 11, 5, 9, 4], placements["middle"]))
    return cases


KEYWORD_CASES = [(chain, keyword, policy, placement)
                 for chain in CHAINS for keyword, policy in keywords_of(chain)
                 for placement in keyword_placements(keyword)]


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(
    "chain,keyword,policy,placement", KEYWORD_CASES,
    ids=[f"{chain_id(c)}-{k}-{p}" for c, k, _, p in KEYWORD_CASES])
def test_composition_keyword_never_reaches_the_client(chains, chain, keyword, policy, placement, api):
    under_test = chains(chain)
    text, pieces = keyword_placements(keyword)[placement]
    rid = under_test.script(text, pieces)
    context = f"{chain_id(chain)}: {describe(text, pieces)}"
    assert_blocked_answer(under_test, api, rid, policy, context + " (non-streamed)")
    assert_blocked_stream(under_test.stream(api, rid), text, keyword, policy, context)
    status, raw = under_test.raw(api, rid)
    assert_blocked_on_the_wire(status, raw, keyword, policy, context)


def test_reference_chain_composes_too(chains):
    # The README's chain: prompt-injection and audit-logger have no stream hook and must not disturb the two
    # that hold text back.
    under_test = chains(REFERENCE_CHAIN)
    for api in APIS:
        pieces = every(5, REPRO_TEXT)
        rid = under_test.script(REPRO_TEXT, pieces)
        assert_arrives_exactly(under_test.stream(api, rid), api, REPRO_TEXT, f"reference/{api}")
        text = f"hello there my friend, how are you {KEYWORD}"
        rid = under_test.script(text, every(5, text))
        assert_blocked_stream(under_test.stream(api, rid), text, KEYWORD, "keyword-blocklist", f"reference/{api}")


# ------------------------------------------------------------------------------------------- property tests

WORDS = [
    "hello", "there", "my", "friend", "how", "are", "you", "today", "the", "quick", "brown", "fox", "jumps",
    "over", "lazy", "dog", "and", "of", "to", "in", "is", "it", "word", "forbidden", "hush", "secret", "plan",
    "café", "cafe\u0301", "naïve", "résumé", "Grüße", "señor", "über", "Ångström", "日本", "東京", "語",
    "日本語のテキスト", "😀", "🚀", "🎉", "🇫🇷", "👍🏽", "—", "…", "&", "%", "*", "(aside)", "[x]", "{y}", "<z>",
    '"quoted"', "it's", "x_y", "a/b", "e.g.", "#tag", "~", "+", "=",
]
NUMBERS = ["0", "3", "7", "42", "99", "256", "1999", "2024"]  # never two in a row: no phone, card, IBAN or SSN
PUNCTUATION = [",", ".", "!", "?", ";", ":", "…", ")", "'", "\""]
SEPARATORS = [" "] * 18 + ["\n", "  "]


def _seeds() -> list[int]:
    chosen = os.environ.get("E2E_COMPOSITION_SEEDS", "").strip()
    if chosen.startswith("random:"):
        return [random.SystemRandom().randrange(1, 2**31) for _ in range(int(chosen.split(":", 1)[1]))]
    if chosen:
        return [int(seed) for seed in chosen.split(",")]
    return list(range(1001, 1041))  # CI: 40 fixed cases


SEEDS = _seeds()


def random_text(rng: random.Random) -> str:
    """A text no policy of these chains changes: words, punctuation, unicode, digits that are not PII."""
    while True:
        tokens, previous_number = [], False
        for _ in range(rng.randint(3, 30)):
            if not previous_number and rng.random() < 0.12:
                token, previous_number = rng.choice(NUMBERS), True
            else:
                token, previous_number = rng.choice(WORDS), False
                if rng.random() < 0.2:
                    token += rng.choice(PUNCTUATION)
            tokens.append(token)
        text = tokens[0] + "".join(rng.choice(SEPARATORS) + token for token in tokens[1:])
        if KEYWORD not in text.lower() and KEYWORD_2 not in text.lower():
            return text


@pytest.mark.parametrize("seed", SEEDS, ids=lambda seed: f"seed={seed}")
@pytest.mark.parametrize("chain", PAIRS, ids=chain_id)
def test_composition_property_clean_text_is_byte_identical(chains, chain, seed):
    under_test = chains(chain)
    rng = random.Random(seed)
    print(f"seed={seed} chain={chain_id(chain)}")
    for api in APIS:
        text = random_text(rng)
        pieces = random_pieces(rng, text)
        ascii = rng.random() < 0.5  # non-ASCII as raw UTF-8 or as \u escapes in the upstream's JSON
        rid = under_test.script(text, pieces, ascii=ascii)
        context = f"seed={seed} {chain_id(chain)} {api} ascii={ascii}: {describe(text, pieces)}"
        assert under_test.answer(api, rid) == text, f"{context}: precondition: the JSON answer is the text"
        assert_arrives_exactly(under_test.stream(api, rid), api, text, context)


KEYWORD_CHAINS = [chain for chain in PAIRS if keywords_of(chain)]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda seed: f"seed={seed}")
@pytest.mark.parametrize("chain", KEYWORD_CHAINS, ids=chain_id)
def test_composition_property_keyword_never_reaches_the_client(chains, chain, seed):
    under_test = chains(chain)
    rng = random.Random(seed)
    print(f"seed={seed} chain={chain_id(chain)}")
    for api in APIS:
        keyword, policy = rng.choice(keywords_of(chain))
        if rng.random() < 0.3:  # the blocklist folds ASCII case
            keyword = "".join(c.upper() if rng.random() < 0.5 else c for c in keyword)
        base = random_text(rng)
        at = rng.randint(0, len(base))
        text = base[:at] + keyword + base[at:]
        pieces = random_pieces(rng, text)
        rid = under_test.script(text, pieces, ascii=rng.random() < 0.5)
        context = f"seed={seed} {chain_id(chain)} {api}: {describe(text, pieces)}"
        assert_blocked_stream(under_test.stream(api, rid), text, keyword, policy, context)
