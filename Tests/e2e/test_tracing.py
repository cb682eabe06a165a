"""OpenTelemetry traces on the real binary: OTLP/HTTP export to a receiver in this process (otlp_receiver.py).

- A streamed exchange carrying a client `traceparent`: the root span continues the client's trace (same trace id,
  parent = the client's span id); `policies.request`, `policies.stream` and `upstream.attempt` are its children;
  the upstream request carries a `traceparent` with the same trace id and the attempt span's id as parent.
- A JSON exchange without `traceparent`: a new trace, with `policies.response` instead of `policies.stream`.
- Tracing off (no `gateway.tracing`): nothing is exported, even with the OTEL_* environment pointing at a receiver,
  and nothing is injected upstream.

The exporter batches spans, so waits are generous (a batch may wait several seconds before it is sent).
"""

from __future__ import annotations

import json
import gzip
import secrets
import time

import httpx
import pytest

from conftest import _start, _stop
from e2e_support import artifacts_dir, make_client, openai_target, request_id
from otlp_receiver import OTLPReceiver

SERVICE = "gatewayhost-e2e"
TARGET = "traced"
MODEL = "gpt-4o-mini"
ROUTE = "/v1/chat/completions"
EXPORT_WAIT = 20.0  # batch span processors commonly wait 5 s before a scheduled export


@pytest.fixture
def receiver():
    r = OTLPReceiver()
    yield r
    r.stop()


def traced_config(mock, plugins, tracing: dict | None) -> dict:
    config = {
        "pack": {"name": "tracing", "version": "1.0.0"},
        # A policy in the chain, so every hook phase runs (and gets its span).
        "policies": {"chain": ["block-words"]},
        "policy": {"block-words": {"plugin": {"file": str(plugins["keyword_blocklist"])},
                                   "keywords": ["forbidden"], "message": "blocked"}},
        "providers": {"strategy": "fallback", "targets": [openai_target(TARGET, MODEL, f"{mock.base}/v1")]},
        "gateway": {"max_body_bytes": 65536},
    }
    if tracing is not None:
        config["gateway"]["tracing"] = tracing
    return config


@pytest.fixture
def traced_gateway(mock, plugins, receiver):
    gw = _start(traced_config(mock, plugins, {"endpoint": receiver.endpoint, "service_name": SERVICE,
                                              "sample_ratio": 1.0}), plugins)
    yield gw
    _stop(gw)


def parse_traceparent(value: str) -> tuple[str, str, str]:
    """(trace id, parent span id, flags) of a W3C traceparent `00-<32 hex>-<16 hex>-<2 hex>`."""
    parts = value.strip().split("-")
    assert len(parts) == 4 and parts[0] == "00", f"not a version-00 traceparent: {value!r}"
    version, trace_id, span_id, flags = parts
    assert len(trace_id) == 32 and len(span_id) == 16 and len(flags) == 2, value
    assert int(trace_id, 16) != 0 and int(span_id, 16) != 0, value
    return trace_id.lower(), span_id.lower(), flags


def as_int(value):
    """An attribute that must be a number: int (or a numeric string) -> int."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def exchange_spans(spans: list[dict], trace_id: str, children: set[str]):
    """(root, {name: [child spans]}) once the root of `trace_id` and every name in `children` arrived, else None."""
    roots = [s for s in spans if s["trace_id"] == trace_id and s["name"] == f"POST {ROUTE}"]
    if not roots:
        return None
    root = roots[0]
    found: dict[str, list[dict]] = {}
    for span in spans:
        if span["trace_id"] == trace_id and span["parent_span_id"] == root["span_id"]:
            found.setdefault(span["name"], []).append(span)
    if not children <= found.keys():
        return None
    return root, found


def root_of_request(spans: list[dict], rid: str):
    return next((s for s in spans if s["name"] == f"POST {ROUTE}"
                 and s["attributes"].get("gatewayhost.request_id") == rid), None)


def assert_root(root: dict, rid: str, status: int = 200) -> None:
    attributes = root["attributes"]
    assert root["kind"] == "SERVER", root
    assert attributes.get("http.request.method") == "POST", attributes
    assert attributes.get("url.path") == ROUTE, attributes
    assert as_int(attributes.get("http.response.status_code")) == status, attributes
    assert attributes.get("gen_ai.request.model") == MODEL, attributes
    assert attributes.get("gatewayhost.request_id") == rid, attributes
    assert attributes.get("gatewayhost.client_id"), attributes
    assert attributes.get("gatewayhost.target") == TARGET, attributes
    assert as_int(attributes.get("gatewayhost.generation")) == 1, attributes
    assert 0 < root["start_ns"] <= root["end_ns"], root
    if root["resource"]:
        assert root["resource"].get("service.name") == SERVICE, root["resource"]


def assert_child_of(span: dict, root: dict) -> None:
    assert span["trace_id"] == root["trace_id"] and span["parent_span_id"] == root["span_id"], (span, root)
    assert root["start_ns"] <= span["start_ns"] <= span["end_ns"] <= root["end_ns"], (span, root)


def assert_attempt(attempt: dict, upstream_request: dict) -> None:
    attributes = attempt["attributes"]
    assert attempt["kind"] == "CLIENT", attempt
    assert attributes.get("gatewayhost.target") == TARGET, attributes
    assert as_int(attributes.get("http.response.status_code")) == 200, attributes
    assert attributes.get("gatewayhost.attempt.outcome"), attributes
    sent = upstream_request["headers"].get("traceparent")
    assert sent, f"the upstream request carries no traceparent: {upstream_request['headers']}"
    trace_id, parent_id, _ = parse_traceparent(sent)
    assert trace_id == attempt["trace_id"], f"upstream traceparent {sent} is not in trace {attempt['trace_id']}"
    assert parent_id == attempt["span_id"], f"upstream traceparent {sent} does not name the attempt span {attempt['span_id']}"


# ------------------------------------------------------------------------------------------- the receiver itself

def test_the_otlp_receiver_decodes_protobuf_and_json(receiver):
    """The tool the other tests trust: one span posted as protobuf (gzip too) and as OTLP/JSON decodes the same."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

    trace_id, span_id, parent_id = secrets.token_bytes(16), secrets.token_bytes(8), secrets.token_bytes(8)
    span = Span(trace_id=trace_id, span_id=span_id, parent_span_id=parent_id, name="probe", kind=Span.SPAN_KIND_CLIENT,
                start_time_unix_nano=5, end_time_unix_nano=9,
                attributes=[KeyValue(key="n", value=AnyValue(int_value=7)),
                            KeyValue(key="s", value=AnyValue(string_value="x"))])
    body = ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=[span])])])
    protobuf = body.SerializeToString()
    as_json = {"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": trace_id.hex(), "spanId": span_id.hex(), "parentSpanId": parent_id.hex(), "name": "probe",
        "kind": 3, "startTimeUnixNano": "5", "endTimeUnixNano": "9",
        "attributes": [{"key": "n", "value": {"intValue": "7"}}, {"key": "s", "value": {"stringValue": "x"}}]}]}]}]}
    with httpx.Client(trust_env=False, timeout=5) as http:
        assert http.post(receiver.endpoint, content=protobuf,
                         headers={"content-type": "application/x-protobuf"}).status_code == 200
        assert http.post(receiver.endpoint, content=gzip.compress(protobuf),
                         headers={"content-type": "application/x-protobuf", "content-encoding": "gzip"}).status_code == 200
        assert http.post(receiver.endpoint, json=as_json).status_code == 200
        assert http.post(receiver.endpoint, content=b"\xff\xff",
                         headers={"content-type": "application/x-protobuf"}).status_code == 400
    spans = receiver.spans()
    assert len(spans) == 3 and spans[0] == spans[1] == spans[2], spans
    assert spans[0]["trace_id"] == trace_id.hex() and spans[0]["span_id"] == span_id.hex()
    assert spans[0]["parent_span_id"] == parent_id.hex() and spans[0]["kind"] == "CLIENT"
    assert spans[0]["attributes"] == {"n": 7, "s": "x"} and (spans[0]["start_ns"], spans[0]["end_ns"]) == (5, 9)
    assert len(receiver.errors) == 1


# ------------------------------------------------------------------------------------------- the gateway's traces

@pytest.mark.time_limit(45)
def test_a_streamed_exchange_continues_the_client_trace(traced_gateway, mock, receiver):
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    rid = request_id("trace-stream")
    client = make_client(traced_gateway)
    try:
        stream = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "trace me"}], stream=True,
            extra_headers={"traceparent": f"00-{trace_id}-{client_span}-01", "x-request-id": rid})
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    finally:
        client.close()
    assert text == "echo: trace me"

    found = receiver.wait_for(
        lambda spans: exchange_spans(spans, trace_id, {"policies.request", "policies.stream", "upstream.attempt"}),
        EXPORT_WAIT)
    assert found, f"no complete trace {trace_id} within {EXPORT_WAIT} s: {receiver.describe()}"
    root, children = found
    assert root["parent_span_id"] == client_span, f"root parent {root['parent_span_id']}, client span {client_span}"
    assert_root(root, rid)
    for name in ("policies.request", "policies.stream", "upstream.attempt"):
        assert len(children[name]) == 1, (name, children[name])
        assert_child_of(children[name][0], root)
    assert "policies.response" not in children, "a streamed answer has no policies.response phase"
    events = as_int(children["policies.stream"][0]["attributes"].get("gatewayhost.stream.events"))
    assert isinstance(events, int) and events > 0, children["policies.stream"][0]["attributes"]
    assert_attempt(children["upstream.attempt"][0], mock.one_request(rid))
    assert receiver.errors == []
    assert {r["content_type"] for r in receiver.requests} == {"application/x-protobuf"}, receiver.requests
    spans = [root] + [span for name in sorted(children) for span in children[name]]
    (artifacts_dir() / "trace-streamed.json").write_text(json.dumps(spans, indent=1, default=str) + "\n")


@pytest.mark.time_limit(45)
def test_a_json_exchange_starts_a_trace_with_a_response_phase(traced_gateway, mock, receiver):
    rid = request_id("trace-json")
    response = traced_gateway.http.post(ROUTE, headers={"x-request-id": rid},
                                        json={"model": MODEL, "messages": [{"role": "user", "content": "trace me too"}]})
    assert response.status_code == 200, response.text

    def complete(spans):
        root = root_of_request(spans, rid)
        return exchange_spans(spans, root["trace_id"], {"policies.request", "policies.response", "upstream.attempt"}) \
            if root else None

    found = receiver.wait_for(complete, EXPORT_WAIT)
    assert found, f"no complete trace for {rid} within {EXPORT_WAIT} s: {receiver.describe()}"
    root, children = found
    assert root["parent_span_id"] == "", "without a client traceparent the root starts a new trace"
    assert_root(root, rid)
    for name in ("policies.request", "policies.response", "upstream.attempt"):
        assert len(children[name]) == 1, (name, children[name])
        assert_child_of(children[name][0], root)
    assert "policies.stream" not in children, "a JSON answer has no policies.stream phase"
    assert_attempt(children["upstream.attempt"][0], mock.one_request(rid))
    assert receiver.errors == []


@pytest.mark.time_limit(45)
def test_tracing_off_exports_nothing(mock, plugins, receiver):
    # The standard OpenTelemetry environment points at the receiver: only `gateway.tracing` may turn export on.
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.port}",
           "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint,
           "OTEL_TRACES_EXPORTER": "otlp", "OTEL_SERVICE_NAME": SERVICE}
    gw = _start(traced_config(mock, plugins, tracing=None), plugins, env=env)
    try:
        rid_json, rid_stream = request_id("untraced-json"), request_id("untraced-stream")
        response = gw.http.post(ROUTE, headers={"x-request-id": rid_json},
                                json={"model": MODEL, "messages": [{"role": "user", "content": "not traced"}]})
        assert response.status_code == 200, response.text
        body = {"model": MODEL, "stream": True, "messages": [{"role": "user", "content": "not traced"}]}
        with gw.http.stream("POST", ROUTE, json=body, headers={"x-request-id": rid_stream}) as streamed:
            streamed.read()
        assert streamed.status_code == 200
        for rid in (rid_json, rid_stream):
            headers = mock.one_request(rid)["headers"]
            assert "traceparent" not in headers, f"tracing is off, yet the upstream got {headers['traceparent']}"
    finally:
        _stop(gw)  # a graceful stop: an exporter would flush what it holds now
    time.sleep(1.0)
    assert receiver.requests == [] and receiver.spans() == [], receiver.describe()
