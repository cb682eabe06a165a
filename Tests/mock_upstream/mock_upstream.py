#!/usr/bin/env python3
"""A mock OpenAI-compatible upstream for gatewayhost tests (Python stdlib only).

Usage: python3 mock_upstream.py --port 0      -> prints "LISTENING <port>" on stdout once it accepts connections.

It speaks the real OpenAI wire formats:
  POST .../chat/completions          Chat Completions, JSON or SSE ("stream": true)
  POST .../responses                 Responses API, JSON or SSE
  POST /openai/deployments/{d}/chat/completions?api-version=...   Azure (same formats; no api-version -> 404)
  GET  .../models                    a small model list
under any path prefix (e.g. /openai/v1/chat/completions). The reply text is "echo: " + the last user message.

Behaviour switches by the request's "model" (for Azure: the body's model, else the deployment name):
  mock-500   500 OpenAI-style error          mock-429   429 with Retry-After: 1
  mock-400   400 {"error": {... "code": "mock_code"}}
  mock-slow  waits 3 s, then answers          mock-hang  never answers (returns when the client goes away)
  mock-cut   streams 3 events, then drops the connection (no terminating chunk, no [DONE])
  mock-drip  one event every 0.5 s, 200 events  mock-long  200 small events as fast as possible
  mock-big   a JSON reply of more than 2 MiB
  mock-401   401 as OpenAI refuses a key: invalid_api_key, the message naming the key masked (sk-proj-****abcd)
  mock-403   403 as OpenAI refuses a project's access to a model (invalid_request_error / model_not_found)
  mock-pieces  the exact text scripted for the request's x-request-id (POST /__mock/script below): streamed as
             one delta per piece (chat: chat.completion.chunk events with delta.content, then [DONE]; Responses:
             response.created ... one response.output_text.delta per piece ... response.completed), or the
             whole text as one JSON answer. The script lives beside the request, not in it, so no policy can
             alter it on the way. No script for the request id -> 400 invalid_request_error / mock_no_script.

Introspection (not recorded themselves):
  GET /__mock/requests   every request received: method, path, query, headers (lowercase names), body, client_port
  DELETE /__mock/requests
  GET /__mock/closed     {path, model, at (time.time()), events_sent, stream} appended when the client closed the
                         connection while a response was being streamed or held back (mock-hang/-slow/-drip...)
  DELETE /__mock/closed
  POST /__mock/script    {"request_id": "<x-request-id>", "text": "...", "pieces": [5, 3, 7, ...]} scripts what
                         mock-pieces answers to requests carrying that x-request-id (every such request, until
                         DELETE). Piece lengths count characters (code points, not bytes), are >= 1 and add up to
                         the text's length; "pieces" may be left out (one piece). Non-ASCII text goes out as
                         raw UTF-8 in the JSON, as OpenAI sends it, or \\u-escaped with "ascii": true. 400 on a
                         malformed script.
  DELETE /__mock/script  forgets every script
  POST /__mock/faults    scripted faults of this instance (one mock process = one upstream; run several on
                         different ports for routing tests). Body: {"queue": [fault, ...]} appends to a FIFO queue,
                         {"always": fault} sets the fault applied while the queue is empty ({"always": null} clears
                         it); both keys may be given. Each chat/responses request (POST; never GET .../models) takes
                         the first queued fault whose "model" matches (a fault without "model" matches every
                         request), else the "always" fault, else none: so "fail N times, then succeed" is a queue
                         of N faults. Every request is recorded (GET /__mock/requests) whether it was faulted or
                         not. A fault is an object:
                           {"status": 429, "headers": {"Retry-After": "1"}, "body": {...}}  that HTTP answer; the
                               body defaults to an OpenAI-style error for the status (529 / "overloaded": overloaded)
                           {"drop": true}          closes the connection without answering (after reading the request)
                           {"hang": true}          never answers (returns when the client goes away)
                           {"cut_after": N}        a stream sends its head and N events, then drops the connection (0:
                                                   nothing after the head); a JSON answer sends its head and half its
                                                   body, then drops
                           {"delay_ms": N}         waits N ms first (combinable with the others; alone: then answers
                                                   normally)
                           "model": "<name>"       optional: only requests for that model take the fault
                         Answer: {"queue": <length>, "always": <fault or null>}.
  GET /__mock/faults     {"queue": [...], "always": ...}      DELETE /__mock/faults   clears the queue and "always"
  POST /__mock/settings  {"delay_ms": N, "models_status": S}: every chat/responses answer waits N ms (a slow or fast
                         upstream, e.g. for latency routing; --delay-ms sets it at start); GET .../models answers
                         HTTP S with an error body when S is not 200 (a failing health probe). Keys left out keep
                         their values. GET /__mock/settings reads them.
"""

import argparse
import base64
import hashlib
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BIG_REPLY_BYTES = 2 * 1024 * 1024 + 1024
DRIP_EVENTS = 200
DRIP_INTERVAL = 0.5
LONG_EVENTS = 200
SLOW_DELAY = 3.0
CUT_AFTER_EVENTS = 3

_lock = threading.Lock()
_requests = []
_closed = []
_scripts = {}  # x-request-id -> (the deltas mock-pieces streams for it, whether JSON escapes non-ASCII)
_fault_queue = []  # scripted faults, first in first out (POST /__mock/faults)
_fault_always = None  # the fault applied while the queue has none for the request
_settings = {"delay_ms": 0, "models_status": 200}
FAULT_KEYS = {"status", "headers", "body", "drop", "hang", "cut_after", "delay_ms", "model"}


class ClientGone(Exception):
    """The client closed the connection (detected on write or while waiting)."""


def _record_request(entry):
    with _lock:
        _requests.append(entry)


def _record_closed(path, model, events_sent, stream):
    with _lock:
        _closed.append(
            {"path": path, "model": model, "at": time.time(), "events_sent": events_sent, "stream": stream})


# ---------------------------------------------------------------- request helpers

def _text_of_content(content):
    """Text of a Chat message content or Responses input content (a string or a list of typed parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, str):
                parts.append(part)
        return "".join(parts)
    return ""


def last_user_text(body, api):
    """The text of the last user message: Chat `messages`, or Responses `input` (string or item list)."""
    if api == "chat":
        items = body.get("messages") or []
    else:
        items = body.get("input")
        if isinstance(items, str):
            return items
        items = items or []
    for item in reversed(items):
        if isinstance(item, dict) and item.get("role") == "user":
            return _text_of_content(item.get("content"))
    return ""


def all_input_text(body, api):
    items = body.get("messages") if api == "chat" else body.get("input")
    if isinstance(items, str):
        return items
    texts = []
    for item in items or []:
        if isinstance(item, dict):
            texts.append(_text_of_content(item.get("content")))
    if api == "responses" and isinstance(body.get("instructions"), str):
        texts.append(body["instructions"])
    return " ".join(texts)


def count_tokens(text):
    """A stand-in tokenizer: whitespace-separated words."""
    return len(text.split())


def split_words(text):
    """Split into deltas that concatenate back to the text: "a b c" -> ["a", " b", " c"]."""
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


def script_deltas(script):
    """The deltas of a mock-pieces script {"request_id", "text", "pieces"}; ValueError when it is malformed."""
    if not isinstance(script, dict):
        raise ValueError("the script must be a JSON object")
    rid, text, pieces = script.get("request_id"), script.get("text"), script.get("pieces")
    if not isinstance(rid, str) or not rid:
        raise ValueError("request_id must be a non-empty string")
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    if pieces is None:
        pieces = [len(text)] if text else []
    if not isinstance(pieces, list) or not all(type(n) is int and n >= 1 for n in pieces):
        raise ValueError("pieces must be a list of integers >= 1")
    if not isinstance(script.get("ascii", False), bool):
        raise ValueError("ascii must be true or false")
    if sum(pieces) != len(text):
        raise ValueError("the pieces add up to %d characters, the text has %d" % (sum(pieces), len(text)))
    deltas, start = [], 0
    for n in pieces:
        deltas.append(text[start:start + n])
        start += n
    return deltas


def check_fault(fault):
    """ValueError when `fault` is not a fault object (see POST /__mock/faults)."""
    if not isinstance(fault, dict):
        raise ValueError("a fault must be a JSON object")
    unknown = set(fault) - FAULT_KEYS
    if unknown:
        raise ValueError("unknown fault keys: %s" % ", ".join(sorted(unknown)))
    actions = [k for k in ("status", "drop", "hang", "cut_after") if k in fault]
    if len(actions) > 1:
        raise ValueError("a fault has at most one of status, drop, hang, cut_after")
    if not actions and "delay_ms" not in fault:
        raise ValueError("a fault needs status, drop, hang, cut_after or delay_ms")
    if "status" in fault and not (type(fault["status"]) is int and 100 <= fault["status"] <= 599):
        raise ValueError("status must be an HTTP status")
    if "cut_after" in fault and not (type(fault["cut_after"]) is int and fault["cut_after"] >= 0):
        raise ValueError("cut_after must be an integer >= 0")
    if "delay_ms" in fault and not (isinstance(fault["delay_ms"], (int, float)) and fault["delay_ms"] >= 0):
        raise ValueError("delay_ms must be a number >= 0")
    if not isinstance(fault.get("headers", {}), dict):
        raise ValueError("headers must be an object")


def take_fault(model):
    """The fault for a request for `model`: the first queued one that matches (removed), else "always"."""
    with _lock:
        for index, fault in enumerate(_fault_queue):
            if fault.get("model") in (None, model):
                return _fault_queue.pop(index)
        if _fault_always is not None and _fault_always.get("model") in (None, model):
            return _fault_always
    return None


def fault_error_body(status):
    if status == 429:
        return error_body("Rate limit reached for requests (mock fault).", "requests", "rate_limit_exceeded")
    if status == 529:
        return {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    if status >= 500:
        return error_body("The server had an error while processing your request (mock fault).", "server_error")
    return error_body("mock fault %d" % status, "invalid_request_error", "mock_fault")


def error_body(message, etype, code=None, param=None):
    return {"error": {"message": message, "type": etype, "param": param, "code": code}}


# ---------------------------------------------------------------- wire formats

def chat_completion(model, reply, prompt_tokens):
    completion_tokens = count_tokens(reply)
    return {
        "id": "chatcmpl-mock" + uuid.uuid4().hex[:20],
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_mock",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": reply, "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def chat_chunks(model, deltas, include_usage, prompt_tokens):
    """The Chat Completions SSE events (dicts), without the final [DONE]."""
    cid = "chatcmpl-mock" + uuid.uuid4().hex[:20]
    created = int(time.time())

    def chunk(delta, finish_reason=None):
        c = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
             "system_fingerprint": "fp_mock",
             "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]}
        if include_usage:
            c["usage"] = None
        return c

    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for d in deltas:
        yield chunk({"content": d})
    yield chunk({}, "stop")
    if include_usage:
        completion_tokens = count_tokens("".join(deltas))
        yield {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
               "system_fingerprint": "fp_mock", "choices": [],
               "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                         "total_tokens": prompt_tokens + completion_tokens}}


def response_object(resp_id, msg_id, model, status, text, input_tokens, created_at):
    output = []
    usage = None
    if status == "completed":
        output = [message_item(msg_id, "completed", text)]
        output_tokens = count_tokens(text)
        usage = {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0},
                 "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                 "total_tokens": input_tokens + output_tokens}
    return {
        "id": resp_id, "object": "response", "created_at": created_at, "status": status,
        "error": None, "incomplete_details": None, "instructions": None, "max_output_tokens": None,
        "model": model, "output": output, "parallel_tool_calls": True, "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None}, "store": False, "temperature": 1.0,
        "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [], "top_p": 1.0,
        "truncation": "disabled", "usage": usage, "user": None, "metadata": {},
    }


def message_item(msg_id, status, text):
    content = [] if text is None else [{"type": "output_text", "text": text, "annotations": []}]
    return {"type": "message", "id": msg_id, "status": status, "role": "assistant", "content": content}


def responses_events(model, deltas, input_tokens):
    """The Responses API SSE events (dicts with "type"), in the real order."""
    resp_id = "resp_mock" + uuid.uuid4().hex[:24]
    msg_id = "msg_mock" + uuid.uuid4().hex[:24]
    created_at = int(time.time())
    text = "".join(deltas)
    seq = 0

    def ev(etype, **fields):
        nonlocal seq
        e = {"type": etype}
        e.update(fields)
        e["sequence_number"] = seq
        seq += 1
        return e

    yield ev("response.created",
             response=response_object(resp_id, msg_id, model, "in_progress", "", input_tokens, created_at))
    yield ev("response.in_progress",
             response=response_object(resp_id, msg_id, model, "in_progress", "", input_tokens, created_at))
    yield ev("response.output_item.added", output_index=0, item=message_item(msg_id, "in_progress", None))
    yield ev("response.content_part.added", item_id=msg_id, output_index=0, content_index=0,
             part={"type": "output_text", "text": "", "annotations": []})
    for d in deltas:
        yield ev("response.output_text.delta", item_id=msg_id, output_index=0, content_index=0, delta=d,
                 logprobs=[])
    yield ev("response.output_text.done", item_id=msg_id, output_index=0, content_index=0, text=text, logprobs=[])
    yield ev("response.content_part.done", item_id=msg_id, output_index=0, content_index=0,
             part={"type": "output_text", "text": text, "annotations": []})
    yield ev("response.output_item.done", output_index=0, item=message_item(msg_id, "completed", text))
    yield ev("response.completed",
             response=response_object(resp_id, msg_id, model, "completed", text, input_tokens, created_at))


def responses_json(model, reply, input_tokens):
    return response_object("resp_mock" + uuid.uuid4().hex[:24], "msg_mock" + uuid.uuid4().hex[:24], model,
                           "completed", reply, input_tokens, int(time.time()))


# ---------------------------------------------------------------- HTTP handler

def embedding_vector(text: str) -> list[float]:
    """8 floats in [-1, 1) from the text's SHA-256: the same text always gives the same vector."""
    digest = hashlib.sha256(text.encode()).digest()
    return [int.from_bytes(digest[i * 4:i * 4 + 4], "little", signed=True) / 2 ** 31 for i in range(8)]


# Provider dialects: each module answers the paths of one provider's API (see its docstring).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import anthropic_wire  # noqa: E402
import bedrock_wire  # noqa: E402
import gemini_wire  # noqa: E402

DIALECTS = (anthropic_wire, gemini_wire, bedrock_wire)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mock-upstream/1"
    verbose = False

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("mock_upstream: " + (fmt % args) + "\n")

    # -- plumbing

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def _send_json(self, status, obj, extra_headers=(), ensure_ascii=True):
        data = json.dumps(obj, ensure_ascii=ensure_ascii).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra_headers:
            self.send_header(name, value)
        # Head and body in one write: written apart, the small body waits for the client's delayed ACK of the
        # head (Nagle), adding ~40 ms to every JSON answer.
        self._headers_buffer.append(b"\r\n" + data)
        self.flush_headers()

    def _drop(self):
        """Closes the connection at once: no (further) bytes, no terminating chunk."""
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _client_closed(self, seconds):
        """Wait up to `seconds`; True as soon as the client closes its end of the connection."""
        deadline = time.monotonic() + seconds
        sock = self.connection
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                readable, _, _ = select.select([sock], [], [], remaining)
            except (OSError, ValueError):
                return True
            if not readable:
                return False
            try:
                peeked = sock.recv(1, socket.MSG_PEEK)
            except (ConnectionResetError, OSError):
                return True
            if peeked == b"":
                return True
            # The client sent more bytes (a pipelined request?): not a close. Sleep the rest of the period.
            time.sleep(max(0.0, deadline - time.monotonic()))
            return False

    def _write_chunk(self, data):
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            raise ClientGone()

    def _stream(self, events, model, interval=0.0, cut_after=None, done_marker=True, ensure_ascii=True):
        """Write SSE events with chunked encoding. `events` yields (event_name_or_None, dict)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        try:
            self.wfile.flush()
            for name, obj in events:
                if cut_after is not None and sent >= cut_after:
                    # Drop the connection mid-stream: no terminating chunk, no [DONE].
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                if sent > 0 and interval > 0 and self._client_closed(interval):
                    raise ClientGone()
                prefix = ("event: %s\n" % name) if name else ""
                self._write_chunk((prefix + "data: " + json.dumps(obj, ensure_ascii=ensure_ascii) + "\n\n").encode())
                sent += 1
            if done_marker:
                self._write_chunk(b"data: [DONE]\n\n")
            self._write_chunk(b"")
        except ClientGone:
            self.close_connection = True
            _record_closed(self.path_only, model, sent, True)

    # -- routing

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PUT(self):
        self._dispatch("PUT")

    def _dispatch(self, method):
        split = urlsplit(self.path)
        self.path_only = split.path
        body_bytes = self._read_body()
        if split.path.startswith("/__mock/"):
            return self._introspect(method, split.path, body_bytes)
        headers = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = headers[key] + ", " + value if key in headers else value
        _record_request({"method": method, "path": split.path, "query": split.query, "headers": headers,
                         "body": body_bytes.decode("utf-8", "replace"), "client_port": self.client_address[1],
                         "at": time.time()})

        path = split.path.rstrip("/")
        query = parse_qs(split.query)
        # Other providers' wire formats on the same port (Anthropic Messages, Gemini generateContent, Bedrock
        # Converse).
        for dialect in DIALECTS:
            if dialect.handles(method, path):
                return dialect.handle(self, method, path, query, headers, body_bytes)
        deployment = None
        if "/openai/deployments/" in path:
            rest = path.split("/openai/deployments/", 1)[1]
            deployment = rest.split("/", 1)[0]
            if "api-version" not in query:
                return self._send_json(404, {"error": {"code": "404", "message": "Resource not found"}})

        if method == "GET" and path.endswith("/models"):
            with _lock:
                models_status = _settings["models_status"]
            if models_status != 200:
                return self._send_json(models_status, fault_error_body(models_status))
            return self._send_json(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "mock"}
                for m in ("mock-gpt", "mock-500", "mock-429", "mock-400", "mock-slow", "mock-hang", "mock-cut",
                          "mock-drip", "mock-long", "mock-big", "mock-401", "mock-403", "mock-pieces")]})
        if method == "POST" and path.endswith("/embeddings"):
            return self._embeddings(body_bytes)
        if method != "POST" or not (path.endswith("/chat/completions") or path.endswith("/responses")):
            return self._send_json(404, error_body("Unknown request URL: %s %s" % (method, split.path),
                                                   "invalid_request_error", "unknown_url"))
        api = "chat" if path.endswith("/chat/completions") else "responses"
        try:
            body = json.loads(body_bytes or b"{}")
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError:
            return self._send_json(400, error_body("We could not parse the JSON body of your request.",
                                                   "invalid_request_error"))
        model = body.get("model") or deployment or ""
        fault = take_fault(model)
        with _lock:
            delay = _settings["delay_ms"] / 1000.0
        if fault is not None and "delay_ms" in fault:
            delay += fault["delay_ms"] / 1000.0
        if delay > 0 and self._client_closed(delay):
            self.close_connection = True
            return _record_closed(self.path_only, model, 0, bool(body.get("stream")))
        if fault is not None and self._apply_fault(fault, model, bool(body.get("stream"))):
            return
        self._answer(api, body, model, headers.get("x-request-id"), (fault or {}).get("cut_after"))

    def _embeddings(self, body_bytes):
        """OpenAI's embeddings: a deterministic vector of 8 floats per input string (from its SHA-256), so a
        test can tell which text arrived; base64 when encoding_format asks for it (the SDK's default)."""
        try:
            body = json.loads(body_bytes or b"{}")
        except ValueError:
            return self._send_json(400, error_body("We could not parse the JSON body of your request.",
                                                   "invalid_request_error"))
        inputs = body.get("input")
        inputs = [inputs] if isinstance(inputs, str) else list(inputs or [])
        data, tokens = [], 0
        for index, text in enumerate(inputs):
            text = text if isinstance(text, str) else json.dumps(text)
            tokens += max(1, len(text.split()))
            vector = embedding_vector(text)
            if body.get("encoding_format") == "base64":
                value = base64.b64encode(struct.pack("<%df" % len(vector), *vector)).decode()
            else:
                value = vector
            data.append({"object": "embedding", "index": index, "embedding": value})
        return self._send_json(200, {"object": "list", "data": data, "model": body.get("model", ""),
                                     "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    def _apply_fault(self, fault, model, stream):
        """Answers with `fault` when it decides the answer (True); False lets the normal answer go out."""
        if "status" in fault:
            status = fault["status"]
            body = fault.get("body", fault_error_body(status))
            self._send_json(status, body, list(fault.get("headers", {}).items()))
            return True
        if fault.get("drop"):
            self._drop()
            return True
        if fault.get("hang"):
            while not self._client_closed(3600):
                pass
            self.close_connection = True
            _record_closed(self.path_only, model, 0, stream)
            return True
        return False

    def _introspect(self, method, path, body_bytes=b""):
        if path == "/__mock/script":
            return self._script(method, body_bytes)
        if path == "/__mock/faults":
            return self._faults(method, body_bytes)
        if path == "/__mock/settings":
            return self._settings(method, body_bytes)
        target = {"/__mock/requests": _requests, "/__mock/closed": _closed}.get(path)
        if target is None:
            return self._send_json(404, {"error": "unknown mock path"})
        with _lock:
            if method == "DELETE":
                target.clear()
                snapshot = []
            else:
                snapshot = list(target)
        self._send_json(200, snapshot)

    def _faults(self, method, body_bytes):
        global _fault_always
        if method == "DELETE":
            with _lock:
                _fault_queue.clear()
                _fault_always = None
            return self._send_json(200, {"queue": 0, "always": None})
        if method == "GET":
            with _lock:
                snapshot = {"queue": list(_fault_queue), "always": _fault_always}
            return self._send_json(200, snapshot)
        if method != "POST":
            return self._send_json(405, {"error": "GET, POST or DELETE"})
        try:
            request = json.loads(body_bytes or b"null")
            if not isinstance(request, dict) or not set(request) <= {"queue", "always"} or not request:
                raise ValueError('expected {"queue": [fault, ...]} and/or {"always": fault or null}')
            queue = request.get("queue", [])
            if not isinstance(queue, list):
                raise ValueError("queue must be a list of faults")
            for fault in queue:
                check_fault(fault)
            if request.get("always") is not None:
                check_fault(request["always"])
        except ValueError as error:
            return self._send_json(400, {"error": str(error)})
        with _lock:
            _fault_queue.extend(queue)
            if "always" in request:
                _fault_always = request["always"]
            answer = {"queue": len(_fault_queue), "always": _fault_always}
        self._send_json(200, answer)

    def _settings(self, method, body_bytes):
        if method == "POST":
            try:
                update = json.loads(body_bytes or b"null")
                if not isinstance(update, dict) or not set(update) <= set(_settings):
                    raise ValueError("expected an object with delay_ms and/or models_status")
                if "delay_ms" in update and not (isinstance(update["delay_ms"], (int, float))
                                                 and update["delay_ms"] >= 0):
                    raise ValueError("delay_ms must be a number >= 0")
                if "models_status" in update and not (type(update["models_status"]) is int
                                                      and 100 <= update["models_status"] <= 599):
                    raise ValueError("models_status must be an HTTP status")
            except ValueError as error:
                return self._send_json(400, {"error": str(error)})
            with _lock:
                _settings.update(update)
        elif method != "GET":
            return self._send_json(405, {"error": "GET or POST"})
        with _lock:
            snapshot = dict(_settings)
        self._send_json(200, snapshot)

    def _script(self, method, body_bytes):
        if method == "DELETE":
            with _lock:
                _scripts.clear()
            return self._send_json(200, {})
        if method != "POST":
            return self._send_json(405, {"error": "POST or DELETE"})
        try:
            script = json.loads(body_bytes or b"null")
            deltas = script_deltas(script)
        except ValueError as error:
            return self._send_json(400, {"error": str(error)})
        with _lock:
            _scripts[script["request_id"]] = (deltas, script.get("ascii", False))
        self._send_json(200, {"request_id": script["request_id"], "pieces": len(deltas)})

    def _answer(self, api, body, model, rid=None, fault_cut_after=None):
        stream = bool(body.get("stream"))
        if model == "mock-500":
            return self._send_json(500, error_body("The server had an error while processing your request.",
                                                   "server_error"))
        if model == "mock-429":
            return self._send_json(429, error_body("Rate limit reached for requests (mock).", "requests",
                                                   "rate_limit_exceeded"), [("Retry-After", "1")])
        if model == "mock-400":
            return self._send_json(400, error_body("bad thing", "invalid_request_error", "mock_code", "messages"))
        if model == "mock-401":  # OpenAI's answer to a wrong key, word for word (the key masked)
            return self._send_json(401, error_body(
                "Incorrect API key provided: sk-proj-****abcd. You can find your API key at "
                "https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key"))
        if model == "mock-403":  # OpenAI's answer when the key's project may not use the model
            return self._send_json(403, error_body(
                "Project `proj_mock0000000000000000abcd` does not have access to model `%s`" % model,
                "invalid_request_error", "model_not_found"))
        if model == "mock-hang":
            while not self._client_closed(3600):
                pass
            self.close_connection = True
            return _record_closed(self.path_only, model, 0, stream)
        if model == "mock-slow" and self._client_closed(SLOW_DELAY):
            self.close_connection = True
            return _record_closed(self.path_only, model, 0, stream)

        reply = "echo: " + last_user_text(body, api)
        prompt_tokens = count_tokens(all_input_text(body, api))
        scripted, ensure_ascii = None, True
        if model == "mock-pieces":
            with _lock:
                scripted, ensure_ascii = _scripts.get(rid, (None, True))
            if scripted is None:
                return self._send_json(400, error_body("mock-pieces: no script for x-request-id %r" % rid,
                                                       "invalid_request_error", "mock_no_script"))
            reply = "".join(scripted)
        if model == "mock-big":
            reply = reply + " " + "x" * BIG_REPLY_BYTES
            stream = False
        if not stream:
            obj = chat_completion(model, reply, prompt_tokens) if api == "chat" else \
                responses_json(model, reply, prompt_tokens)
            if fault_cut_after is not None:  # the head and half the body, then the connection drops
                data = json.dumps(obj, ensure_ascii=ensure_ascii).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[:len(data) // 2])
                return self._drop()
            return self._send_json(200, obj, ensure_ascii=ensure_ascii)

        interval, cut_after, deltas = 0.0, None, split_words(reply)
        if model == "mock-drip":
            interval, deltas = DRIP_INTERVAL, [" tok%d" % i for i in range(DRIP_EVENTS)]
        elif model == "mock-long":
            deltas = [" tok%d" % i for i in range(LONG_EVENTS)]
        elif model == "mock-cut":
            cut_after = CUT_AFTER_EVENTS
        elif scripted is not None:
            deltas = scripted
        if fault_cut_after is not None:
            cut_after = fault_cut_after
        if api == "chat":
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = ((None, c) for c in chat_chunks(model, deltas, include_usage, prompt_tokens))
            self._stream(events, model, interval, cut_after, done_marker=True, ensure_ascii=ensure_ascii)
        else:
            events = ((e["type"], e) for e in responses_events(model, deltas, prompt_tokens))
            self._stream(events, model, interval, cut_after, done_marker=False, ensure_ascii=ensure_ascii)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = pick a free one)")
    parser.add_argument("--verbose", action="store_true", help="log each request on stderr")
    parser.add_argument("--delay-ms", type=float, default=0, help="wait before every chat/responses answer")
    args = parser.parse_args()
    _settings["delay_ms"] = max(0.0, args.delay_ms)
    # A parent may spawn us with signals blocked (Foundation's Process from a test runner thread does): unblock them
    # so that SIGTERM / SIGINT stop the mock.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    Handler.verbose = args.verbose
    server = Server(("127.0.0.1", args.port), Handler)
    print("LISTENING %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
