"""Google Gemini API dialect of the mock upstream (imported by mock_upstream.py; Python stdlib only).

Written from the Gemini API reference (ai.google.dev/api) and checked against the official `google-genai` SDK
(Tests/e2e/test_mock_gemini.py):

  POST /v1beta/models/{model}:generateContent            GenerateContentResponse JSON
  POST /v1beta/models/{model}:streamGenerateContent      ?alt=sse: `data: {GenerateContentResponse}\\r\\n\\r\\n` events
                                                         (no [DONE]); without alt=sse: one JSON array of them
  POST /v1beta/models/{model}:batchEmbedContents         {"embeddings": [{"values": [...]}, ...]}
  POST /v1beta/models/{model}:embedContent               {"embedding": {"values": [...]}}
(also under /v1/). The key goes in `x-goog-api-key` (or `?key=`): missing -> 403 PERMISSION_DENIED, the key
"invalid-key" -> 400 INVALID_ARGUMENT with reason API_KEY_INVALID, as Google answers.

Answers: "echo: " + the text of the last user turn, plus " [image]" per inlineData / fileData part in it (so tests
see media arrived in Gemini's format); a last user turn of function responses only is echoed as
"echo: " + the JSON of their `response`s; "REVEAL-<digits>" in the text comes back as "SECRET-<digits>" (a secret
only the answer carries, for answer-redaction tests). Streams send one event per word, the last one with finishReason STOP.
`generationConfig` is honoured where a test can see it: candidateCount -> that many candidates (index 0..n-1),
maxOutputTokens -> the answer cut to that many words with finishReason MAX_TOKENS, stopSequences -> the answer cut
before the first one, responseMimeType application/json -> the answer is {"echo": "<text>"}.
usageMetadata: promptTokenCount = words of every text in contents and systemInstruction, candidatesTokenCount =
words of the answer (per candidate, summed), totalTokenCount = their sum.

Special models (the {model} of the path):
  mock-tools   a functionCall get_weather {"city": "Paris"} (finishReason STOP), streamed too; when the last user
               turn holds functionResponse parts, the normal echo instead (a tool loop ends)
  mock-429     429 RESOURCE_EXHAUSTED with retry-after: 1 (and RetryInfo 1s)
  mock-400     400 INVALID_ARGUMENT               mock-404   404 NOT_FOUND
  mock-500     500 INTERNAL                        mock-503 / mock-529   503 UNAVAILABLE ("The model is overloaded.")
  mock-cut     a stream cut after 2 events (no finishReason); a JSON answer cut in the middle of its body
  mock-blocked promptFeedback.blockReason SAFETY and no candidates
  mock-error-event  a stream whose second event is {"error": {... UNAVAILABLE}} (how Google fails mid-stream)
Embeddings: `values` are deterministic: outputDimensionality (default 8) numbers in [-1, 1] from the SHA-256 of the
text; each request's `model` must be the path's model ("models/<m>"), else 400, as Google checks.
"""

import hashlib
import json
import re
import socket
import uuid

_PATH = re.compile(r"^/v1(?:beta)?/models/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents|"
                   r"embedContent)$")
MOCK_MODEL_VERSION = "mock-gemini-001"
CUT_AFTER_EVENTS = 2
INVALID_KEY = "invalid-key"
DEFAULT_DIMENSIONS = 8


def handles(method, path):
    return method == "POST" and _PATH.match(path) is not None


def handle(handler, method, path, query, headers, body):
    model, action = _PATH.match(path).groups()
    key = headers.get("x-goog-api-key") or (query.get("key") or [""])[0]
    if not key:
        return _error(handler, 403, "PERMISSION_DENIED",
                      "Method doesn't allow unregistered callers (callers without established identity). Please use "
                      "API Key or other form of API consumer identity to call this API.")
    if key == INVALID_KEY:
        return _error(handler, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                      [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": {"service": "generativelanguage.googleapis.com"}}])
    try:
        request = json.loads(body or b"{}")
        if not isinstance(request, dict):
            raise ValueError("not an object")
    except ValueError:
        return _error(handler, 400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
    if _special_error(handler, model):
        return
    if action in ("batchEmbedContents", "embedContent"):
        return _embed(handler, model, action, request)
    if not isinstance(request.get("contents"), list) or not request["contents"]:
        return _error(handler, 400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified")
    stream = action == "streamGenerateContent"
    responses = _responses(model, request, stream)
    if not stream:
        if model == "mock-cut":
            return _cut_json(handler, responses[0])
        return handler._send_json(200, responses[0], ensure_ascii=False)
    if (query.get("alt") or [""])[0] != "sse":
        return handler._send_json(200, responses, ensure_ascii=False)
    _sse(handler, responses, cut_after=CUT_AFTER_EVENTS if model == "mock-cut" else None)


# ---------------------------------------------------------------- errors

def _error(handler, code, status, message, details=None, extra_headers=()):
    error = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    handler._send_json(code, {"error": error}, list(extra_headers))


def _special_error(handler, model):
    if model == "mock-429":
        _error(handler, 429, "RESOURCE_EXHAUSTED",
               "You exceeded your current quota, please check your plan and billing details. (mock)",
               [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}], [("retry-after", "1")])
    elif model == "mock-400":
        _error(handler, 400, "INVALID_ARGUMENT", "Invalid value at 'generation_config.temperature' (mock)")
    elif model == "mock-404":
        _error(handler, 404, "NOT_FOUND",
               "models/mock-404 is not found for API version v1beta, or is not supported for generateContent.")
    elif model == "mock-500":
        _error(handler, 500, "INTERNAL", "An internal error has occurred. (mock)")
    elif model in ("mock-503", "mock-529"):
        _error(handler, 503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
    else:
        return False
    return True


# ---------------------------------------------------------------- generateContent

def _texts(content):
    return [p["text"] for p in (content or {}).get("parts") or [] if isinstance(p, dict) and isinstance(p.get("text"), str)]


def _words(text):
    return len(text.split())


def _last_user_turn(request):
    for content in reversed(request["contents"]):
        if isinstance(content, dict) and content.get("role", "user") == "user":
            return content
    return {}


def _echo(turn):
    parts = [p for p in turn.get("parts") or [] if isinstance(p, dict)]
    texts = [p["text"] for p in parts if isinstance(p.get("text"), str)]
    # Google's JSON parser accepts camelCase and snake_case names (the Python SDK sends some of each).
    images = sum(1 for p in parts if {"inlineData", "inline_data", "fileData", "file_data"} & set(p))
    results = [p["functionResponse"].get("response") for p in parts if isinstance(p.get("functionResponse"), dict)]
    if not texts and results:
        return "echo: " + json.dumps(results[0] if len(results) == 1 else results, separators=(",", ":"))
    # REVEAL-<n> comes back as SECRET-<n>: a secret only the answer carries (for answer-redaction tests).
    return ("echo: " + "".join(texts) + " [image]" * images).replace("REVEAL-", "SECRET-")


def _prompt_tokens(request):
    words = sum(_words(t) for c in request["contents"] if isinstance(c, dict) for t in _texts(c))
    return words + sum(_words(t) for t in _texts(request.get("systemInstruction")))


def _shape_answer(reply, config):
    """The reply under generationConfig: (text, finishReason)."""
    finish = "STOP"
    for stop in config.get("stopSequences") or []:
        if isinstance(stop, str) and stop and stop in reply:
            reply = reply[:reply.index(stop)]
    limit = config.get("maxOutputTokens")
    if isinstance(limit, int) and _words(reply) > limit:
        reply = " ".join(reply.split(" ")[:limit])
        finish = "MAX_TOKENS"
    if config.get("responseMimeType") == "application/json":
        reply = json.dumps({"echo": reply})
    return reply, finish


def _words_of(text):
    """Pieces that concatenate back to the text: "a b c" -> ["a", " b", " c"]."""
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


def _responses(model, request, stream):
    """The answer as a list of GenerateContentResponse objects (one for JSON; one per word for a stream)."""
    config = request.get("generationConfig") or {}
    prompt_tokens = _prompt_tokens(request)
    response_id = uuid.uuid4().hex[:22]
    base = {"modelVersion": MOCK_MODEL_VERSION, "responseId": response_id}
    if model == "mock-blocked":
        return [{"promptFeedback": {"blockReason": "SAFETY"},
                 "usageMetadata": {"promptTokenCount": prompt_tokens, "totalTokenCount": prompt_tokens}, **base}]
    turn = _last_user_turn(request)
    calls_tool = model == "mock-tools" and not any(
        isinstance(p, dict) and "functionResponse" in p for p in turn.get("parts") or [])
    if calls_tool:
        part = {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}
        usage = {"promptTokenCount": prompt_tokens, "candidatesTokenCount": 1, "totalTokenCount": prompt_tokens + 1}
        return [{"candidates": [{"content": {"parts": [part], "role": "model"}, "finishReason": "STOP", "index": 0}],
                 "usageMetadata": usage, **base}]
    count = config.get("candidateCount") if isinstance(config.get("candidateCount"), int) else 1
    reply, finish = _shape_answer(_echo(turn), config)
    completion = _words(reply) * max(count, 1)
    usage = {"promptTokenCount": prompt_tokens, "candidatesTokenCount": completion,
             "totalTokenCount": prompt_tokens + completion}
    if not stream:
        candidates = [{"content": {"parts": [{"text": reply}], "role": "model"}, "finishReason": finish, "index": i}
                      for i in range(max(count, 1))]
        return [{"candidates": candidates, "usageMetadata": usage, **base}]
    pieces = _words_of(reply)
    events = []
    for number, piece in enumerate(pieces):
        last = number == len(pieces) - 1
        candidates = []
        for i in range(max(count, 1)):
            candidate = {"content": {"parts": [{"text": piece}], "role": "model"}, "index": i}
            if last:
                candidate["finishReason"] = finish
            candidates.append(candidate)
        # Google sends the prompt count in every event, the candidates' count in the last.
        partial = usage if last else {"promptTokenCount": prompt_tokens, "totalTokenCount": prompt_tokens}
        events.append({"candidates": candidates, "usageMetadata": partial, **base})
    if model == "mock-error-event":
        events.insert(1, {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}})
    return events


def _sse(handler, events, cut_after=None):
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    try:
        for sent, event in enumerate(events):
            if cut_after is not None and sent >= cut_after:
                return _drop(handler)
            data = ("data: " + json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\r\n\r\n").encode()
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            handler.wfile.flush()
            if "error" in event:  # Google ends the stream after an error event
                break
        if cut_after is not None:
            return _drop(handler)
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
        handler.close_connection = True


def _cut_json(handler, obj):
    data = json.dumps(obj).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json; charset=UTF-8")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data[:len(data) // 2])
    _drop(handler)


def _drop(handler):
    handler.close_connection = True
    try:
        handler.wfile.flush()
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


# ---------------------------------------------------------------- embeddings

def vector(text, dimensions=DEFAULT_DIMENSIONS):
    """`dimensions` numbers in [-1, 1], a function of the text only (SHA-256, extended by a counter)."""
    values, counter = [], 0
    while len(values) < dimensions:
        digest = hashlib.sha256(("%d:" % counter).encode() + text.encode("utf-8")).digest()
        values.extend(round(b / 127.5 - 1.0, 6) for b in digest)
        counter += 1
    return values[:dimensions]


def _embed_one(request, path_model, index=None):
    where = "requests[%d]." % index if index is not None else ""
    if index is not None and request.get("model") != "models/" + path_model:
        raise ValueError("%smodel: model '%s' does not match the model in the URL 'models/%s'"
                         % (where, request.get("model"), path_model))
    texts = _texts(request.get("content"))
    if not texts:
        raise ValueError("%scontent: no text to embed" % where)
    dimensions = request.get("outputDimensionality") or DEFAULT_DIMENSIONS
    if not isinstance(dimensions, int) or dimensions < 1:
        raise ValueError("%soutputDimensionality must be a positive integer" % where)
    return {"values": vector(" ".join(texts), dimensions)}


def _embed(handler, model, action, request):
    try:
        if action == "embedContent":
            return handler._send_json(200, {"embedding": _embed_one(request, model)})
        requests = request.get("requests")
        if not isinstance(requests, list) or not requests:
            raise ValueError("requests: at least one request is required")
        embeddings = [_embed_one(r if isinstance(r, dict) else {}, model, i) for i, r in enumerate(requests)]
    except ValueError as error:
        return _error(handler, 400, "INVALID_ARGUMENT", str(error))
    handler._send_json(200, {"embeddings": embeddings})
