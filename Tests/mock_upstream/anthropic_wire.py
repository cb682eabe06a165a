"""Anthropic Messages API dialect of the mock upstream (imported by mock_upstream.py).

    POST .../v1/messages       JSON answer, or SSE with "stream": true

Written from Anthropic's API reference (Messages, Streaming Messages, Errors) and checked against the official
`anthropic` SDK (Tests/e2e/test_mock_anthropic.py):
  - headers: a key must be present, as `x-api-key` (what the gateway sends) or `Authorization: Bearer` (what the
    current SDK sends), else 401 authentication_error; `anthropic-version` too (else 400 invalid_request_error, as
    the API answers). The values are not checked: tests read them from GET /__mock/requests;
  - the body is checked like the API does for what a translator could get wrong: model, max_tokens >= 1, a
    non-empty `messages` list of user/assistant turns that alternate, non-empty text blocks, image sources,
    tool_result ids answering the previous assistant turn's tool_use ids, temperature in [0, 1], and no field
    the API does not know ("Extra inputs are not permitted"): 400 invalid_request_error otherwise;
  - answers: {"id": "msg_...", "type": "message", "role": "assistant", "content": [blocks], "model",
    "stop_reason", "stop_sequence", "usage": {input_tokens, output_tokens, cache_creation_input_tokens,
    cache_read_input_tokens}}; streams: message_start, content_block_start, ping, content_block_delta
    (text_delta / input_json_delta), content_block_stop, message_delta, message_stop;
  - errors: {"type": "error", "error": {"type", "message"}, "request_id"}.

Behaviour (the request's "model"):
  normal      "echo: " + the text of the last user turn, plus " [image]" per image in it (streamed word by word).
              "REVEAL-<digits>" in that text comes back as "SECRET-<digits>": an answer carrying a secret the
              request did not, for tests of the gateway's answer-side redaction.
              `stop_sequences`: the answer ends before the first one found (stop_reason stop_sequence);
              `max_tokens`: at most that many words (stop_reason max_tokens).
  mock-tools  a tool_use block: get_weather {"city": "Paris"} (stop_reason tool_use; streamed as
              input_json_delta pieces); once the last user turn carries tool_result blocks, a text answer
              "echo: " + the results' text instead, so a whole tool loop can run.
  mock-429    429 rate_limit_error with retry-after: 1     mock-400  400 invalid_request_error
  mock-500    500 api_error                               mock-529  529 overloaded_error
  mock-cut    a stream sends message_start, content_block_start and one delta, then drops the connection
              (a JSON answer is normal).
Usage: input_tokens = words of every text in the request (system, text blocks, tool results), output_tokens =
words of the answer (of the tool input's JSON for a tool call); cache figures 0.
"""

import base64
import binascii
import json
import uuid

ANTHROPIC_VERSION_HEADER = "anthropic-version"
CUT_AFTER_EVENTS = 4  # message_start, content_block_start, ping, one delta
KNOWN_FIELDS = {
    "model", "messages", "max_tokens", "system", "metadata", "stop_sequences", "stream", "temperature", "top_p",
    "top_k", "tools", "tool_choice", "thinking", "service_tier", "container", "mcp_servers", "context_management",
}
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
TOOL_NAME = "get_weather"
TOOL_INPUT = {"city": "Paris"}


class BadRequest(Exception):
    """The request breaks a rule of the Messages API: 400 invalid_request_error with this message."""


def handles(method, path):
    return path.rstrip("/").endswith("/v1/messages")


def handle(handler, method, path, query, headers, body_bytes):
    if method != "POST":
        return _error(handler, 405, "invalid_request_error", "Method Not Allowed")
    bearer = headers.get("authorization", "")
    if not headers.get("x-api-key") and not (bearer.lower().startswith("bearer ") and bearer[7:].strip()):
        return _error(handler, 401, "authentication_error", "x-api-key header is required")
    if not headers.get(ANTHROPIC_VERSION_HEADER):
        return _error(handler, 400, "invalid_request_error", "anthropic-version: header is required")
    try:
        body = json.loads(body_bytes or b"null")
        if not isinstance(body, dict):
            raise BadRequest("The request body is not valid JSON.")
    except ValueError:
        return _error(handler, 400, "invalid_request_error", "The request body is not valid JSON.")
    try:
        _validate(body)
    except BadRequest as error:
        return _error(handler, 400, "invalid_request_error", str(error))

    model = body["model"]
    if model == "mock-429":
        return _error(handler, 429, "rate_limit_error", "Number of request tokens has exceeded your per-minute "
                      "rate limit (mock).", [("retry-after", "1")])
    if model == "mock-400":
        return _error(handler, 400, "invalid_request_error", "mock-400: bad thing")
    if model == "mock-500":
        return _error(handler, 500, "api_error", "Internal server error (mock)")
    if model == "mock-529":
        return _error(handler, 529, "overloaded_error", "Overloaded")

    blocks, stop_reason, stop_sequence = _answer(body)
    input_tokens = _count(_request_text(body))
    output_tokens = sum(_count(b["text"]) if b["type"] == "text" else _count(json.dumps(b["input"])) for b in blocks)
    message_id = "msg_mock" + uuid.uuid4().hex[:24]
    if not body.get("stream"):
        return handler._send_json(200, {
            "id": message_id, "type": "message", "role": "assistant", "model": model, "content": blocks,
            "stop_reason": stop_reason, "stop_sequence": stop_sequence,
            "usage": _usage(input_tokens, output_tokens),
        }, [("request-id", "req_mock" + uuid.uuid4().hex[:20])])
    events = _stream_events(message_id, model, blocks, stop_reason, stop_sequence, input_tokens, output_tokens)
    handler._stream(events, model, cut_after=CUT_AFTER_EVENTS if model == "mock-cut" else None, done_marker=False,
                    ensure_ascii=False)


# ------------------------------------------------------------------------------------------- validation

def _validate(body):
    extra = sorted(set(body) - KNOWN_FIELDS)
    if extra:
        raise BadRequest("%s: Extra inputs are not permitted" % extra[0])
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise BadRequest("model: Field required")
    max_tokens = body.get("max_tokens")
    if type(max_tokens) is not int or max_tokens < 1:
        raise BadRequest("max_tokens: Field required (an integer >= 1)")
    temperature = body.get("temperature")
    if temperature is not None and not (isinstance(temperature, (int, float)) and 0 <= temperature <= 1):
        raise BadRequest("temperature: Input should be less than or equal to 1")
    system = body.get("system")
    if system is not None and not isinstance(system, str):
        if not isinstance(system, list) or not all(isinstance(b, dict) and b.get("type") == "text" for b in system):
            raise BadRequest("system: Input should be a valid string or a list of text blocks")
    stops = body.get("stop_sequences")
    if stops is not None and not (isinstance(stops, list) and all(isinstance(s, str) and s for s in stops)):
        raise BadRequest("stop_sequences: Input should be a list of non-empty strings")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("messages: at least one message is required")
    previous_role, previous_tool_ids = None, set()
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise BadRequest("messages.%d.role: Input should be 'user' or 'assistant'" % index)
        role = message["role"]
        if role == previous_role:
            raise BadRequest("messages: roles must alternate between \"user\" and \"assistant\", but found "
                             "multiple \"%s\" roles in a row" % role)
        blocks = _blocks(message.get("content"), index)
        if not blocks and not (role == "assistant" and index == len(messages) - 1):
            raise BadRequest("messages.%d: all messages must have non-empty content except for the optional final "
                             "assistant message" % index)
        tool_ids = set()
        for position, block in enumerate(blocks):
            where = "messages.%d.content.%d" % (index, position)
            kind = block.get("type")
            if kind == "text":
                if not isinstance(block.get("text"), str) or not block["text"]:
                    raise BadRequest("%s: text content blocks must be non-empty" % where)
            elif kind == "image" and role == "user":
                _check_image(block.get("source"), where)
            elif kind == "tool_use" and role == "assistant":
                if not isinstance(block.get("id"), str) or not isinstance(block.get("name"), str) \
                        or not isinstance(block.get("input"), dict):
                    raise BadRequest("%s: tool_use needs an id, a name and an input object" % where)
                tool_ids.add(block["id"])
            elif kind == "tool_result" and role == "user":
                if block.get("tool_use_id") not in previous_tool_ids:
                    raise BadRequest("%s: unexpected `tool_use_id` found in `tool_result` blocks: %s. Each "
                                     "`tool_result` block must have a corresponding `tool_use` block in the previous "
                                     "message." % (where, block.get("tool_use_id")))
            else:
                raise BadRequest("%s: unexpected content block type %r in a %s message" % (where, kind, role))
        previous_role, previous_tool_ids = role, tool_ids


def _blocks(content, index):
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if isinstance(content, list) and all(isinstance(b, dict) for b in content):
        return content
    raise BadRequest("messages.%d.content: Input should be a valid string or list of content blocks" % index)


def _check_image(source, where):
    if not isinstance(source, dict):
        raise BadRequest("%s.source: Field required" % where)
    if source.get("type") == "base64":
        if source.get("media_type") not in IMAGE_TYPES:
            raise BadRequest("%s.source.media_type: Input should be one of %s" % (where, sorted(IMAGE_TYPES)))
        try:
            base64.b64decode(source.get("data") or "", validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise BadRequest("%s.source.data: invalid base64 data" % where)
        if not source.get("data"):
            raise BadRequest("%s.source.data: Field required" % where)
    elif source.get("type") == "url":
        if not str(source.get("url", "")).startswith(("http://", "https://")):
            raise BadRequest("%s.source.url: Input should be an http(s) URL" % where)
    else:
        raise BadRequest("%s.source.type: Input should be 'base64', 'url' or 'file'" % where)


# ------------------------------------------------------------------------------------------- answers

def _count(text):
    return len(text.split())


def _tool_result_text(block):
    content = block.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def _request_text(body):
    texts = []
    system = body.get("system")
    if isinstance(system, str):
        texts.append(system)
    elif isinstance(system, list):
        texts += [b.get("text", "") for b in system]
    for message in body["messages"]:
        for block in _blocks(message.get("content"), 0):
            if block.get("type") == "text":
                texts.append(block["text"])
            elif block.get("type") == "tool_result":
                texts.append(_tool_result_text(block))
    return " ".join(texts)


def _last_user_turn(body):
    for message in reversed(body["messages"]):
        if message["role"] == "user":
            return _blocks(message.get("content"), 0)
    return []


def _answer(body):
    """(content blocks, stop_reason, stop_sequence) for the request."""
    turn = _last_user_turn(body)
    results = [_tool_result_text(b) for b in turn if b.get("type") == "tool_result"]
    if body["model"] == "mock-tools" and not results:
        tool = {"type": "tool_use", "id": "toolu_mock" + uuid.uuid4().hex[:20], "name": TOOL_NAME,
                "input": dict(TOOL_INPUT)}
        return [tool], "tool_use", None
    text = "".join(b["text"] for b in turn if b.get("type") == "text")
    if results:
        text = " ".join(results)
    reply = "echo: " + text + " [image]" * sum(1 for b in turn if b.get("type") == "image")
    reply = reply.replace("REVEAL-", "SECRET-")
    stop_reason, stop_sequence = "end_turn", None
    found = [(reply.find(s), s) for s in body.get("stop_sequences") or [] if s in reply]
    if found:
        position, stop_sequence = min(found)
        reply, stop_reason = reply[:position], "stop_sequence"
    words = reply.split(" ")
    if len(words) > body["max_tokens"]:
        reply, stop_reason, stop_sequence = " ".join(words[:body["max_tokens"]]), "max_tokens", None
    return [{"type": "text", "text": reply}], stop_reason, stop_sequence


def _usage(input_tokens, output_tokens):
    return {"input_tokens": input_tokens, "output_tokens": output_tokens, "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0}


def _split_words(text):
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


def _stream_events(message_id, model, blocks, stop_reason, stop_sequence, input_tokens, output_tokens):
    """(event name, data) pairs of a Messages stream, in the API's order."""
    start_usage = _usage(input_tokens, 1)
    yield "message_start", {"type": "message_start", "message": {
        "id": message_id, "type": "message", "role": "assistant", "model": model, "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": start_usage}}
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            yield "content_block_start", {"type": "content_block_start", "index": index,
                                          "content_block": {"type": "text", "text": ""}}
            if index == 0:
                yield "ping", {"type": "ping"}
            for piece in _split_words(block["text"]):
                yield "content_block_delta", {"type": "content_block_delta", "index": index,
                                              "delta": {"type": "text_delta", "text": piece}}
        else:
            yield "content_block_start", {"type": "content_block_start", "index": index, "content_block": {
                "type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}}
            arguments = json.dumps(block["input"])
            middle = len(arguments) // 2
            for piece in ("", arguments[:middle], arguments[middle:]):
                yield "content_block_delta", {"type": "content_block_delta", "index": index,
                                              "delta": {"type": "input_json_delta", "partial_json": piece}}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    yield "message_delta", {"type": "message_delta",
                            "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence},
                            "usage": {"output_tokens": output_tokens}}
    yield "message_stop", {"type": "message_stop"}


def _error(handler, status, error_type, message, extra_headers=()):
    request_id = "req_mock" + uuid.uuid4().hex[:20]
    handler._send_json(status, {"type": "error", "error": {"type": error_type, "message": message},
                                "request_id": request_id}, [("request-id", request_id)] + list(extra_headers))
