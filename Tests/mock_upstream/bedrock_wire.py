"""AWS Bedrock Runtime (Converse API) dialect of the mock upstream (imported by mock_upstream.py).

    POST /model/{modelId}/converse          ConverseResponse JSON
    POST /model/{modelId}/converse-stream   the same answer as AWS's binary event stream
                                            (content-type application/vnd.amazon.eventstream)

Written from the Bedrock API reference (Converse, ConverseStream, the event-stream encoding) and botocore's service
model for bedrock-runtime, and checked against boto3's `bedrock-runtime` client (Tests/e2e/test_mock_bedrock.py),
whose parsers read the JSON answers, the event-stream frames and the errors:
  - authentication: every request must carry a SigV4 `Authorization` header, which is recomputed with botocore's
    signer and the mock's test credentials (ACCESS_KEY / SECRET_KEY below, region us-east-1, service bedrock), the
    path as sent (a model id such as `anthropic.claude-3-5-sonnet-20240620-v1:0` travels as `...-v1%3A0` and is
    signed encoded twice). A missing header -> 403 MissingAuthenticationTokenException; another access key -> 403
    UnrecognizedClientException; a wrong scope, a signature that does not match, an `x-amz-content-sha256` that is
    not the body's hash, or an `x-amz-date` more than 5 minutes off -> 403 InvalidSignatureException. A session token
    (`x-amz-security-token`) is accepted whatever its value: tests read it from GET /__mock/requests;
  - the body is checked as Converse checks what a translator could get wrong: known top-level fields only; a
    non-empty `messages` list starting with a user turn, roles alternating, non-empty content lists of one-member
    blocks; non-blank text; images as {format: png|jpeg|gif|webp, source: {bytes: <base64>}}; toolUse blocks in
    assistant turns, toolResult blocks in user turns answering the previous turn's toolUseIds; a `toolConfig`
    whenever toolUse / toolResult blocks appear; `system` blocks with non-blank text; `inferenceConfig` with
    maxTokens >= 1, temperature and topP in [0, 1], non-empty stopSequences; `toolConfig.tools` of toolSpecs with a
    name and an inputSchema.json object, `toolChoice` one of auto / any / tool (naming a declared tool). 400
    ValidationException otherwise;
  - errors: the status, `x-amzn-ErrorType: <Type>:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    `x-amzn-RequestId`, and the body {"message": "..."} (what boto3 reads as Error.Code / Error.Message).

Answers: "echo: " + the text of the last user turn, plus " [image]" per image block in it; a last user turn of
toolResult blocks is echoed as "echo: " + the results' text. "REVEAL-<digits>" comes back as "SECRET-<digits>" (a
secret only the answer carries, for answer-redaction tests). inferenceConfig.stopSequences: the answer ends before
the first one found (stopReason stop_sequence); maxTokens: at most that many words (stopReason max_tokens).
Usage: inputTokens = words of every text in the request (system, text blocks, tool results), outputTokens = words of
the answer (of the tool input's JSON for a tool call), totalTokens = their sum.
Streams: messageStart, one contentBlockDelta per word (text) or contentBlockStart + input pieces (toolUse),
contentBlockStop, messageStop, metadata (usage) -- each payload with Bedrock's "p" padding field.

Special models (the {modelId} of the path, URL-decoded):
  mock-tools         a toolUse get_weather {"city": "Paris"} (stopReason tool_use), streamed too; once the last user
                     turn holds toolResult blocks, the echo of their text instead (a tool loop ends)
  mock-429           429 ThrottlingException with retry-after: 1     mock-400   400 ValidationException
  mock-403           403 AccessDeniedException                         mock-404   404 ResourceNotFoundException
  mock-500           500 InternalServerException                       mock-503   503 ServiceUnavailableException
  mock-cut           a stream sends messageStart and one delta, then half of the next frame, then drops the
                     connection (a JSON answer is normal)
  mock-stream-error  a stream sends messageStart and one delta, then a modelStreamErrorException exception frame
"""

import base64
import binascii
import datetime
import hashlib
import json
import re
import struct
import uuid
import zlib
from urllib.parse import unquote, urlsplit

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
SERVICE = "bedrock"
MAX_CLOCK_SKEW = datetime.timedelta(minutes=5)

KNOWN_FIELDS = {
    "messages", "system", "inferenceConfig", "toolConfig", "guardrailConfig", "additionalModelRequestFields",
    "promptVariables", "additionalModelResponseFieldPaths", "requestMetadata", "performanceConfig", "serviceTier",
}
INFERENCE_FIELDS = {"maxTokens", "temperature", "topP", "stopSequences"}
BLOCK_KINDS = {"text", "image", "document", "video", "audio", "toolUse", "toolResult", "guardContent", "cachePoint",
               "reasoningContent", "citationsContent", "searchResult"}
IMAGE_FORMATS = {"png", "jpeg", "gif", "webp"}
TOOL_NAME = "get_weather"
TOOL_INPUT = {"city": "Paris"}
ERRORS = {  # model -> (status, type, message)
    "mock-429": (429, "ThrottlingException", "Too many requests, please wait before trying again. (mock)"),
    "mock-400": (400, "ValidationException", "mock-400: bad thing"),
    "mock-403": (403, "AccessDeniedException", "You don't have access to the model with the specified model ID."),
    "mock-404": (404, "ResourceNotFoundException", "Model not found (mock)."),
    "mock-500": (500, "InternalServerException", "Internal server error (mock)"),
    "mock-503": (503, "ServiceUnavailableException", "Bedrock is unable to process your request. (mock)"),
}
_PATH = re.compile(r"^/model/([^/]+)/(converse|converse-stream)$")
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/,]+)/(\d{8})/([^/,]+)/([^/,]+)/aws4_request,\s*"
    r"SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$")


class BadRequest(Exception):
    """The request breaks a rule of the Converse API: 400 ValidationException with this message."""


def handles(method, path):
    return _PATH.match(path.rstrip("/")) is not None


def handle(handler, method, path, query, headers, body_bytes):
    if method != "POST":
        return _error(handler, 404, "UnknownOperationException", "Unknown operation")
    model_id, operation = _PATH.match(path.rstrip("/")).groups()
    model_id = unquote(model_id)
    refused = _check_signature(handler, method, headers, body_bytes)
    if refused:
        return _error(handler, 403, *refused)
    try:
        body = json.loads(body_bytes or b"null")
    except ValueError:
        return _error(handler, 400, "SerializationException", "The request body is not valid JSON.")
    try:
        _validate(body)
    except BadRequest as error:
        return _error(handler, 400, "ValidationException", str(error))
    if model_id in ERRORS:
        status, error_type, message = ERRORS[model_id]
        return _error(handler, status, error_type, message, [("retry-after", "1")] if status == 429 else [])

    blocks, stop_reason = _answer(model_id, body)
    usage = _usage(body, blocks)
    if operation == "converse":
        return handler._send_json(200, {
            "output": {"message": {"role": "assistant", "content": blocks}}, "stopReason": stop_reason,
            "usage": usage, "metrics": {"latencyMs": 1}}, [("x-amzn-RequestId", str(uuid.uuid4()))],
            ensure_ascii=False)
    _stream(handler, model_id, _events(blocks, stop_reason, usage))


# ------------------------------------------------------------------------------------------- SigV4

def _check_signature(handler, method, headers, body):
    """None when the request is signed with the mock's credentials, else (error type, message) for a 403."""
    authorization = headers.get("authorization")
    if not authorization:
        return "MissingAuthenticationTokenException", "Missing Authentication Token"
    match = _AUTHORIZATION.match(authorization)
    if not match:
        return "IncompleteSignatureException", "Authorization header requires 'Credential', 'SignedHeaders' and " \
            "'Signature' parameters. Authorization=" + authorization[:40]
    access_key, day, region, service, signed_headers, signature = match.groups()
    if access_key != ACCESS_KEY:
        return "UnrecognizedClientException", "The security token included in the request is invalid."
    amz_date = headers.get("x-amz-date", "")
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return "IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' " \
            "or a 'Date' header."
    if abs(datetime.datetime.now(datetime.timezone.utc) - when) > MAX_CLOCK_SKEW:
        return "InvalidSignatureException", "Signature expired: %s is now earlier or later than the allowed " \
            "5 minutes." % amz_date
    if day != amz_date[:8] or region != REGION or service != SERVICE:
        return "InvalidSignatureException", "Credential should be scoped to a valid region and service: " \
            "%s/%s/%s." % (day, region, service)
    names = signed_headers.split(";")
    if "host" not in names or "x-amz-date" not in names:
        return "InvalidSignatureException", "'Host' and 'X-Amz-Date' must be signed headers."
    missing = [name for name in names if name not in headers]
    if missing:
        return "InvalidSignatureException", "Signed header '%s' is missing from the request." % missing[0]
    content_sha = headers.get("x-amz-content-sha256")
    if content_sha is not None and content_sha != hashlib.sha256(body).hexdigest():
        return "InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was " \
            "computed."
    if _expected_signature(handler, method, headers, names, body, amz_date) != signature:
        return "InvalidSignatureException", "The request signature we calculated does not match the signature you " \
            "provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for " \
            "details."
    return None


def _expected_signature(handler, method, headers, names, body, amz_date):
    """botocore's SigV4 signature of the request as received (raw path and query, the signed headers only)."""
    # Imported here: the other dialects of the mock need nothing beyond the standard library.
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    raw = urlsplit(handler.path)
    url = "http://" + headers["host"] + raw.path + ("?" + raw.query if raw.query else "")
    request = AWSRequest(method=method, url=url, data=body, headers={name: headers[name] for name in names})
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, headers.get("x-amz-security-token")), SERVICE, REGION)
    canonical = signer.canonical_request(request)
    return signer.signature(signer.string_to_sign(request, canonical), request)


# ------------------------------------------------------------------------------------------- validation

def _validate(body):
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    extra = sorted(set(body) - KNOWN_FIELDS)
    if extra:
        raise BadRequest("Malformed input request: extraneous key [%s] is not permitted" % extra[0])
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("A conversation must start with a user message. Try again with a conversation that starts "
                         "with a user message.")
    previous_role, previous_tool_ids, uses_tools = None, set(), False
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise BadRequest("messages.%d.role: must be 'user' or 'assistant'" % index)
        role = message["role"]
        if index == 0 and role != "user":
            raise BadRequest("A conversation must start with a user message. Try again with a conversation that "
                             "starts with a user message.")
        if role == previous_role:
            raise BadRequest("A conversation must alternate between user and assistant roles. Make sure the "
                             "conversation alternates between user and assistant roles and try again.")
        content = message.get("content")
        if not isinstance(content, list) or not content:
            raise BadRequest("messages.%d.content: must be a non-empty list of content blocks" % index)
        tool_ids = set()
        for position, block in enumerate(content):
            where = "messages.%d.content.%d" % (index, position)
            if not isinstance(block, dict) or len(block) != 1 or next(iter(block)) not in BLOCK_KINDS:
                raise BadRequest("%s: a content block must have exactly one member of %s" % (where, sorted(BLOCK_KINDS)))
            kind, value = next(iter(block.items()))
            if kind == "text":
                if not isinstance(value, str) or not value.strip():
                    raise BadRequest("The text field in the ContentBlock object at %s is blank. Add text to the text "
                                     "field, and try again." % where)
            elif kind == "image" and role == "user":
                _check_image(value, where)
            elif kind == "toolUse" and role == "assistant":
                uses_tools = True
                if not isinstance(value, dict) or not isinstance(value.get("toolUseId"), str) \
                        or not isinstance(value.get("name"), str) or not isinstance(value.get("input"), dict):
                    raise BadRequest("%s.toolUse: needs a toolUseId, a name and an input object" % where)
                tool_ids.add(value["toolUseId"])
            elif kind == "toolResult" and role == "user":
                uses_tools = True
                _check_tool_result(value, where, previous_tool_ids)
            else:
                raise BadRequest("%s: a %s block is not accepted in a %s message" % (where, kind, role))
        previous_role, previous_tool_ids = role, tool_ids
    if uses_tools and not isinstance(body.get("toolConfig"), dict):
        raise BadRequest("The toolConfig field must be defined when using toolUse and toolResult content blocks.")
    system = body.get("system")
    if system is not None:
        if not isinstance(system, list) or not all(isinstance(b, dict) and b.keys() <= {"text", "cachePoint",
                                                                                         "guardContent"} for b in system):
            raise BadRequest("system: must be a list of system content blocks")
        if any("text" in b and (not isinstance(b["text"], str) or not b["text"]) for b in system):
            raise BadRequest("system.text: must not be empty")
    _check_inference_config(body.get("inferenceConfig"))
    _check_tool_config(body.get("toolConfig"))


def _check_image(image, where):
    if not isinstance(image, dict) or image.get("format") not in IMAGE_FORMATS:
        raise BadRequest("%s.image.format: must be one of %s" % (where, sorted(IMAGE_FORMATS)))
    source = image.get("source")
    if not isinstance(source, dict) or set(source) != {"bytes"}:
        raise BadRequest("%s.image.source: must hold the image's bytes (base64) or an s3Location" % where)
    try:
        data = base64.b64decode(source["bytes"], validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise BadRequest("%s.image.source.bytes: invalid base64" % where)
    if not data:
        raise BadRequest("%s.image.source.bytes: must not be empty" % where)


def _check_tool_result(result, where, previous_tool_ids):
    if not isinstance(result, dict) or not isinstance(result.get("content"), list):
        raise BadRequest("%s.toolResult: needs a toolUseId and a content list" % where)
    if result.get("toolUseId") not in previous_tool_ids:
        raise BadRequest("%s.toolResult.toolUseId: %s does not answer a toolUse of the previous assistant "
                         "message." % (where, result.get("toolUseId")))
    for item in result["content"]:
        if not isinstance(item, dict) or len(item) != 1 or next(iter(item)) not in ("text", "json", "image",
                                                                                     "document", "video"):
            raise BadRequest("%s.toolResult.content: blocks are {text}, {json}, {image}, {document} or {video}"
                             % where)


def _check_inference_config(config):
    if config is None:
        return
    if not isinstance(config, dict) or not set(config) <= INFERENCE_FIELDS:
        raise BadRequest("inferenceConfig: only %s are accepted" % sorted(INFERENCE_FIELDS))
    max_tokens = config.get("maxTokens")
    if max_tokens is not None and (type(max_tokens) is not int or max_tokens < 1):
        raise BadRequest("inferenceConfig.maxTokens: must be an integer >= 1")
    for key in ("temperature", "topP"):
        value = config.get(key)
        if value is not None and not (isinstance(value, (int, float)) and 0 <= value <= 1):
            raise BadRequest("inferenceConfig.%s: must be between 0 and 1" % key)
    stops = config.get("stopSequences")
    if stops is not None and not (isinstance(stops, list) and all(isinstance(s, str) and s for s in stops)):
        raise BadRequest("inferenceConfig.stopSequences: must be a list of non-empty strings")


def _check_tool_config(config):
    if config is None:
        return
    tools = config.get("tools") if isinstance(config, dict) else None
    if not isinstance(tools, list) or not tools:
        raise BadRequest("toolConfig.tools: must be a non-empty list")
    names = set()
    for index, tool in enumerate(tools):
        spec = tool.get("toolSpec") if isinstance(tool, dict) else None
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) \
                or not isinstance((spec.get("inputSchema") or {}).get("json"), dict):
            raise BadRequest("toolConfig.tools.%d: a toolSpec needs a name and inputSchema.json" % index)
        if "description" in spec and not (isinstance(spec["description"], str) and spec["description"]):
            raise BadRequest("toolConfig.tools.%d.toolSpec.description: must not be empty" % index)
        names.add(spec["name"])
    choice = config.get("toolChoice")
    if choice is None:
        return
    if not isinstance(choice, dict) or len(choice) != 1 or next(iter(choice)) not in ("auto", "any", "tool"):
        raise BadRequest("toolConfig.toolChoice: must be one of auto, any, tool")
    if "tool" in choice and (choice["tool"] or {}).get("name") not in names:
        raise BadRequest("toolConfig.toolChoice.tool.name: must name one of the tools")


# ------------------------------------------------------------------------------------------- answers

def _count(text):
    return len(text.split())


def _result_text(result):
    return " ".join(item["text"] if "text" in item else json.dumps(item.get("json")) for item in result["content"]
                    if "text" in item or "json" in item)


def _request_text(body):
    texts = [b.get("text", "") for b in body.get("system") or []]
    for message in body["messages"]:
        for block in message["content"]:
            if "text" in block:
                texts.append(block["text"])
            elif "toolResult" in block:
                texts.append(_result_text(block["toolResult"]))
    return " ".join(texts)


def _answer(model_id, body):
    """(content blocks, stopReason) for the request."""
    turn = body["messages"][-1]["content"] if body["messages"][-1]["role"] == "user" else []
    results = [_result_text(b["toolResult"]) for b in turn if "toolResult" in b]
    if model_id == "mock-tools" and not results:
        tool = {"toolUse": {"toolUseId": "tooluse_mock" + uuid.uuid4().hex[:16], "name": TOOL_NAME,
                            "input": dict(TOOL_INPUT)}}
        return [tool], "tool_use"
    text = " ".join(results) if results else "".join(b["text"] for b in turn if "text" in b)
    reply = "echo: " + text + " [image]" * sum(1 for b in turn if "image" in b)
    reply = reply.replace("REVEAL-", "SECRET-")
    stop_reason = "end_turn"
    config = body.get("inferenceConfig") or {}
    found = [(reply.find(s), s) for s in config.get("stopSequences") or [] if s in reply]
    if found:
        reply, stop_reason = reply[:min(found)[0]], "stop_sequence"
    words = reply.split(" ")
    if "maxTokens" in config and len(words) > config["maxTokens"]:
        reply, stop_reason = " ".join(words[:config["maxTokens"]]), "max_tokens"
    return [{"text": reply}], stop_reason


def _usage(body, blocks):
    input_tokens = _count(_request_text(body))
    output_tokens = sum(_count(b["text"]) if "text" in b else _count(json.dumps(b["toolUse"]["input"]))
                        for b in blocks)
    return {"inputTokens": input_tokens, "outputTokens": output_tokens, "totalTokens": input_tokens + output_tokens}


def _events(blocks, stop_reason, usage):
    """(event type, payload) pairs of a ConverseStream answer, in the API's order."""
    yield "messageStart", {"role": "assistant"}
    for index, block in enumerate(blocks):
        if "text" in block:
            words = block["text"].split(" ")
            for position, word in enumerate(words):
                piece = word if position == 0 else " " + word
                yield "contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": piece}}
        else:
            tool = block["toolUse"]
            yield "contentBlockStart", {"contentBlockIndex": index, "start": {
                "toolUse": {"toolUseId": tool["toolUseId"], "name": tool["name"]}}}
            arguments = json.dumps(tool["input"])
            middle = len(arguments) // 2
            for piece in (arguments[:middle], arguments[middle:]):
                yield "contentBlockDelta", {"contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}}
        yield "contentBlockStop", {"contentBlockIndex": index}
    yield "messageStop", {"stopReason": stop_reason}
    yield "metadata", {"usage": usage, "metrics": {"latencyMs": 1}}


# ------------------------------------------------------------------------------------------- event stream

def encode_frame(headers, payload):
    """One event-stream message: prelude (total length, headers length, CRC32), string headers, payload, CRC32."""
    header_bytes = b""
    for name, value in headers:
        name_bytes, value_bytes = name.encode(), value.encode()
        header_bytes += bytes([len(name_bytes)]) + name_bytes + b"\x07" + struct.pack(">H", len(value_bytes)) \
            + value_bytes
    prelude = struct.pack(">II", 16 + len(header_bytes) + len(payload), len(header_bytes))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + header_bytes + payload
    return message + struct.pack(">I", zlib.crc32(message))


def event_frame(event_type, payload):
    """An event message as Bedrock sends it; the payload carries the "p" padding Bedrock adds to every event."""
    padded = dict(payload, p="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"[:len(event_type) + 3])
    return encode_frame([(":event-type", event_type), (":content-type", "application/json"),
                         (":message-type", "event")], json.dumps(padded, ensure_ascii=False).encode())


def exception_frame(exception_type, message):
    return encode_frame([(":exception-type", exception_type), (":content-type", "application/json"),
                         (":message-type", "exception")], json.dumps({"message": message}).encode())


def _stream(handler, model_id, events):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/vnd.amazon.eventstream")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("x-amzn-RequestId", str(uuid.uuid4()))
    handler.end_headers()
    try:
        for sent, (event_type, payload) in enumerate(events):
            frame = event_frame(event_type, payload)
            if model_id == "mock-cut" and sent == 2:
                handler._write_chunk(frame[:len(frame) // 2])
                return handler._drop()
            if model_id == "mock-stream-error" and sent == 2:
                handler._write_chunk(exception_frame(
                    "modelStreamErrorException", "The model stream failed (mock)."))
                break
            handler._write_chunk(frame)
        handler._write_chunk(b"")
    except Exception:  # the client went away (the mock's ClientGone, or a socket error)
        handler.close_connection = True


def _error(handler, status, error_type, message, extra_headers=()):
    handler._send_json(status, {"message": message}, [
        ("x-amzn-ErrorType", error_type + ":http://internal.amazon.com/coral/com.amazon.bedrock/"),
        ("x-amzn-RequestId", str(uuid.uuid4()))] + list(extra_headers))
