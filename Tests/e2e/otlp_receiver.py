"""A small OTLP/HTTP trace receiver for the e2e tests: what the gateway exports arrives here, decoded.

    receiver = OTLPReceiver()                      # listening on 127.0.0.1, a free port, in a thread
    config["gateway"]["tracing"] = {"endpoint": receiver.endpoint}
    ...
    spans = receiver.wait_for(lambda spans: [s for s in spans if s["name"] == "upstream.attempt"], timeout=15)
    receiver.stop()

It answers POST /v1/traces: `application/x-protobuf` (decoded with the `opentelemetry-proto` package) or
`application/json` (the OTLP/JSON mapping: hex ids, lowerCamelCase keys), gzip-encoded or not, with 200 and an empty
ExportTraceServiceResponse. Every span becomes a dict:

    {"trace_id": hex, "span_id": hex, "parent_span_id": hex or "", "name": str,
     "kind": "SERVER" | "CLIENT" | "INTERNAL" | "PRODUCER" | "CONSUMER" | "UNSPECIFIED",
     "attributes": {key: str | bool | int | float | list | dict}, "start_ns": int, "end_ns": int,
     "status": {"code": "UNSET" | "OK" | "ERROR", "message": str},
     "resource": {key: value}, "scope": str}

A body it cannot decode is answered 400 and kept in `errors`, so a test can assert there were none.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

TRACES_PATH = "/v1/traces"

_KINDS = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
_STATUS_CODES = {0: "UNSET", 1: "OK", 2: "ERROR"}
# OTLP/JSON may spell enums by name.
_KIND_NAMES = {f"SPAN_KIND_{name}": name for name in _KINDS.values()}
_STATUS_NAMES = {f"STATUS_CODE_{name}": name for name in _STATUS_CODES.values()}


# ------------------------------------------------------------------------------------------- protobuf

def _pb_value(value):
    """An AnyValue message as a Python value."""
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [_pb_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _pb_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, which)


def _pb_attributes(attributes) -> dict:
    return {kv.key: _pb_value(kv.value) for kv in attributes}


def spans_from_protobuf(body: bytes) -> list[dict]:
    request = ExportTraceServiceRequest.FromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = _pb_attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append({
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex(),
                    "name": span.name,
                    "kind": _KINDS.get(span.kind, str(span.kind)),
                    "attributes": _pb_attributes(span.attributes),
                    "start_ns": span.start_time_unix_nano,
                    "end_ns": span.end_time_unix_nano,
                    "status": {"code": _STATUS_CODES.get(span.status.code, str(span.status.code)),
                               "message": span.status.message},
                    "resource": resource,
                    "scope": scope_spans.scope.name,
                })
    return spans


# ------------------------------------------------------------------------------------------- OTLP/JSON

def _json_value(value: dict):
    if not value:
        return None
    key, item = next(iter(value.items()))
    if key == "intValue":
        return int(item)  # int64 travels as a string in OTLP/JSON
    if key == "doubleValue":
        return float(item)
    if key == "arrayValue":
        return [_json_value(v) for v in item.get("values", [])]
    if key == "kvlistValue":
        return {kv["key"]: _json_value(kv.get("value", {})) for kv in item.get("values", [])}
    if key == "bytesValue":
        import base64
        return base64.b64decode(item)
    return item  # stringValue, boolValue


def _json_attributes(attributes) -> dict:
    return {kv["key"]: _json_value(kv.get("value", {})) for kv in attributes or []}


def _json_enum(value, numbers: dict, names: dict) -> str:
    if isinstance(value, str):
        return names.get(value, value)
    return numbers.get(int(value or 0), str(value))


def spans_from_json(body: bytes) -> list[dict]:
    document = json.loads(body)
    spans = []
    for resource_spans in document.get("resourceSpans", []):
        resource = _json_attributes(resource_spans.get("resource", {}).get("attributes"))
        for scope_spans in resource_spans.get("scopeSpans", []):
            scope = scope_spans.get("scope", {}).get("name", "")
            for span in scope_spans.get("spans", []):
                status = span.get("status", {})
                spans.append({
                    "trace_id": span.get("traceId", "").lower(),
                    "span_id": span.get("spanId", "").lower(),
                    "parent_span_id": span.get("parentSpanId", "").lower(),
                    "name": span.get("name", ""),
                    "kind": _json_enum(span.get("kind", 0), _KINDS, _KIND_NAMES),
                    "attributes": _json_attributes(span.get("attributes")),
                    "start_ns": int(span.get("startTimeUnixNano", 0)),
                    "end_ns": int(span.get("endTimeUnixNano", 0)),
                    "status": {"code": _json_enum(status.get("code", 0), _STATUS_CODES, _STATUS_NAMES),
                               "message": status.get("message", "")},
                    "resource": resource,
                    "scope": scope,
                })
    return spans


# ------------------------------------------------------------------------------------------- server

class OTLPReceiver:
    """An OTLP/HTTP traces endpoint on 127.0.0.1 (a free port), served from a thread until `stop()`."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._spans: list[dict] = []
        self.requests: list[dict] = []  # {"content_type", "content_encoding", "bytes", "spans"} per POST
        self.errors: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> bytes:
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass  # trailers
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def do_POST(self) -> None:
                body = self._body()
                content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                encoding = (self.headers.get("Content-Encoding") or "").strip().lower()
                if self.path.split("?")[0] != TRACES_PATH:
                    receiver._error(f"POST to {self.path}, expected {TRACES_PATH}")
                    self._answer(404, b"", "text/plain")
                    return
                try:
                    if encoding == "gzip":
                        body = gzip.decompress(body)
                    elif encoding == "deflate":
                        body = zlib.decompress(body)
                    elif encoding not in ("", "identity"):
                        raise ValueError(f"unknown Content-Encoding {encoding!r}")
                    if content_type == "application/x-protobuf":
                        spans = spans_from_protobuf(body)
                        answer = (ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")
                    elif content_type == "application/json":
                        spans = spans_from_json(body)
                        answer = (b"{}", "application/json")
                    else:
                        raise ValueError(f"unsupported Content-Type {content_type!r}")
                except Exception as error:  # noqa: BLE001 - any undecodable export is a finding
                    receiver._error(f"{type(error).__name__}: {error} ({content_type}, {len(body)} bytes)")
                    self._answer(400, b"", "text/plain")
                    return
                receiver._add(content_type, encoding, len(body), spans)
                self._answer(200, *answer)

            def do_GET(self) -> None:
                self._answer(405, b"", "text/plain")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}{TRACES_PATH}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="otlp-receiver", daemon=True)
        self._thread.start()

    def _add(self, content_type: str, encoding: str, size: int, spans: list[dict]) -> None:
        with self._lock:
            self.requests.append({"content_type": content_type, "content_encoding": encoding, "bytes": size,
                                  "spans": len(spans)})
            self._spans.extend(spans)
            self._lock.notify_all()

    def _error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)
            self._lock.notify_all()

    def spans(self) -> list[dict]:
        """Every span received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._spans)

    def wait_for(self, predicate, timeout: float = 10.0):
        """Waits until `predicate(spans)` is truthy and returns its value; on timeout returns its last (falsy)
        value. `predicate` gets a copy of every span received so far."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                result = predicate(list(self._spans))
                remaining = deadline - time.monotonic()
                if result or remaining <= 0:
                    return result
                self._lock.wait(min(remaining, 0.25))

    def describe(self) -> str:
        """A short summary for assertion messages."""
        with self._lock:
            names = [f"{s['name']} ({s['trace_id'][:8]}.., {s['span_id'][:8]}.. <- {s['parent_span_id'][:8] or '-'})"
                     for s in self._spans]
            return f"{len(self.requests)} export requests, errors {self.errors}, spans: {names}"

    def clear(self) -> None:
        with self._lock:
            self._spans.clear()
            self.requests.clear()
            self.errors.clear()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
