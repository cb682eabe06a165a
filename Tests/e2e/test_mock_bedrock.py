"""The mock upstream's Bedrock dialect (Tests/mock_upstream/bedrock_wire.py) checked against boto3's
`bedrock-runtime` client: if boto3 signs requests the mock accepts, parses its Converse answers, decodes its
ConverseStream event streams (botocore's own event-stream parser, CRCs included) and raises the right error codes,
the mock speaks Bedrock as the gateway will meet it. botocore's EventStreamBuffer also decodes the mock's frames
directly, byte for byte.

No gateway involved: boto3 talks to the mock directly.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import boto3
import botocore.exceptions
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer

from e2e_support import HTTP_TIMEOUT, request_id

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mock_upstream"))
import bedrock_wire  # noqa: E402

ACCESS_KEY, SECRET_KEY = bedrock_wire.ACCESS_KEY, bedrock_wire.SECRET_KEY
MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
WEATHER_TOOL = {"toolSpec": {"name": "get_weather", "description": "Weather of a city", "inputSchema": {"json": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}}


def make_sdk(base, secret=SECRET_KEY, access=ACCESS_KEY, token=None, rid=None):
    client = boto3.client(
        "bedrock-runtime", region_name="us-east-1", endpoint_url=base, aws_access_key_id=access,
        aws_secret_access_key=secret, aws_session_token=token,
        config=Config(retries={"total_max_attempts": 1}, read_timeout=HTTP_TIMEOUT, connect_timeout=HTTP_TIMEOUT))
    if rid:
        # Added before signing: the mock's request log is searched by x-request-id.
        client.meta.events.register("before-sign.bedrock-runtime",
                                    lambda request, **_: request.headers.__setitem__("x-request-id", rid))
    return client


@pytest.fixture
def sdk(mock):
    client = make_sdk(mock.base)
    yield client
    client.close()


def user(text):
    return [{"role": "user", "content": [{"text": text}]}]


def stream_events(response):
    """The stream's events as (type, value) pairs, parsed by botocore."""
    return [next(iter(event.items())) for event in response["stream"]]


def stream_text(events):
    return "".join(value["delta"].get("text", "") for kind, value in events if kind == "contentBlockDelta")


# ------------------------------------------------------------------------------------------- JSON

def test_json_answer_echoes_with_usage(mock):
    rid = request_id("bedrock-json")
    sdk = make_sdk(mock.base, rid=rid)
    answer = sdk.converse(modelId=MODEL, system=[{"text": "Be brief please"}], messages=user("hello there"))
    assert answer["output"]["message"] == {"role": "assistant", "content": [{"text": "echo: hello there"}]}
    assert answer["stopReason"] == "end_turn"
    assert answer["usage"] == {"inputTokens": 5, "outputTokens": 3, "totalTokens": 8}
    seen = mock.one_request(rid)
    # botocore puts the model id in the path with ':' encoded, and signs that path encoded once more.
    assert seen["path"] == "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"
    assert seen["headers"]["authorization"].startswith(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/bedrock/aws4_request" in seen["headers"]["authorization"]


def test_images_arrive_as_bytes(sdk):
    answer = sdk.converse(modelId=MODEL, messages=[{"role": "user", "content": [
        {"text": "what is this"}, {"image": {"format": "png", "source": {"bytes": PNG}}}]}])
    assert answer["output"]["message"]["content"][0]["text"] == "echo: what is this [image]"


def test_stop_sequences_and_max_tokens_end_the_answer(sdk):
    stopped = sdk.converse(modelId=MODEL, messages=user("one two STOP three"),
                           inferenceConfig={"stopSequences": ["STOP"], "temperature": 0.5, "topP": 0.9})
    assert stopped["output"]["message"]["content"][0]["text"] == "echo: one two "
    assert stopped["stopReason"] == "stop_sequence"
    cut = sdk.converse(modelId=MODEL, messages=user("one two three"), inferenceConfig={"maxTokens": 2})
    assert cut["output"]["message"]["content"][0]["text"] == "echo: one"
    assert cut["stopReason"] == "max_tokens"


def test_tool_use_json_and_tool_loop(sdk):
    tools = {"tools": [WEATHER_TOOL], "toolChoice": {"any": {}}}
    first = sdk.converse(modelId="mock-tools", messages=user("weather in Paris?"), toolConfig=tools)
    assert first["stopReason"] == "tool_use"
    [block] = first["output"]["message"]["content"]
    call = block["toolUse"]
    assert call["name"] == "get_weather" and call["input"] == {"city": "Paris"}
    second = sdk.converse(modelId="mock-tools", toolConfig=tools, messages=[
        user("weather in Paris?")[0],
        {"role": "assistant", "content": [block]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": call["toolUseId"],
                                                     "content": [{"text": "18C and sunny"}]}}]}])
    assert second["output"]["message"]["content"] == [{"text": "echo: 18C and sunny"}]
    assert second["stopReason"] == "end_turn"


def test_validation_mirrors_converse(sdk):
    cases = [
        ([{"role": "assistant", "content": [{"text": "x"}]}], {}, "start with a user message"),
        (user("a") + user("b"), {}, "alternate"),
        (user(" "), {}, "blank"),
        ([{"role": "user", "content": [{"image": {"format": "bmp", "source": {"bytes": PNG}}}]}], {}, "format"),
        (user("x") + [{"role": "assistant", "content": [{"toolUse": {"toolUseId": "t", "name": "f", "input": {}}}]}],
         {}, "toolConfig field must be defined"),
    ]
    for messages, extra, fragment in cases:
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            sdk.converse(modelId=MODEL, messages=messages, **extra)
        assert caught.value.response["Error"]["Code"] == "ValidationException"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert fragment in caught.value.response["Error"]["Message"], fragment


# ------------------------------------------------------------------------------------------- streams

def test_stream_reassembles_text_and_usage(sdk):
    events = stream_events(sdk.converse_stream(modelId=MODEL, messages=user("streamed words come back")))
    kinds = [kind for kind, _ in events]
    assert kinds == ["messageStart"] + ["contentBlockDelta"] * 5 + ["contentBlockStop", "messageStop", "metadata"]
    assert stream_text(events) == "echo: streamed words come back"
    assert events[-2][1]["stopReason"] == "end_turn"
    assert events[-1][1]["usage"] == {"inputTokens": 4, "outputTokens": 5, "totalTokens": 9}


def test_stream_reassembles_tool_input(sdk):
    events = stream_events(sdk.converse_stream(
        modelId="mock-tools", messages=user("weather?"), toolConfig={"tools": [WEATHER_TOOL]}))
    starts = [value for kind, value in events if kind == "contentBlockStart"]
    assert starts[0]["start"]["toolUse"]["name"] == "get_weather"
    pieces = [value["delta"]["toolUse"]["input"] for kind, value in events
              if kind == "contentBlockDelta" and "toolUse" in value["delta"]]
    assert len(pieces) == 2 and json.loads("".join(pieces)) == {"city": "Paris"}
    assert events[-2] == ("messageStop", {"stopReason": "tool_use"})


def test_stream_exception_frame_raises(sdk):
    response = sdk.converse_stream(modelId="mock-stream-error", messages=user("one two three"))
    received = []
    with pytest.raises(botocore.exceptions.EventStreamError) as caught:
        for event in response["stream"]:
            received.append(event)
    assert caught.value.response["Error"]["Code"] == "modelStreamErrorException"
    assert len(received) == 2  # messageStart and one delta


def test_cut_stream_fails_in_the_sdk(sdk):
    response = sdk.converse_stream(modelId="mock-cut", messages=user("one two three four"))
    received = []
    with pytest.raises(Exception) as caught:
        for event in response["stream"]:
            received.append(event)
    assert not isinstance(caught.value, AssertionError)
    assert [next(iter(e)) for e in received] == ["messageStart", "contentBlockDelta"]


def test_frames_decode_with_botocores_event_stream_buffer(mock):
    """The raw bytes of a ConverseStream answer, signed by hand and decoded by botocore's EventStreamBuffer, which
    verifies both CRCs of every frame."""
    body = json.dumps({"messages": user("a b")}).encode()
    url = mock.base + "/model/" + MODEL.replace(":", "%3A") + "/converse-stream"
    request = AWSRequest(method="POST", url=url, data=body, headers={
        "content-type": "application/json", "x-amz-content-sha256": hashlib.sha256(body).hexdigest()})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "bedrock", "us-east-1").add_auth(request)
    response = httpx.post(url, content=body, headers=dict(request.headers.items()), timeout=HTTP_TIMEOUT,
                          trust_env=False)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
    buffer = EventStreamBuffer()
    raw = response.content
    for start in range(0, len(raw), 7):  # fed in small pieces, as a network delivers them
        buffer.add_data(raw[start:start + 7])
    messages = list(buffer)
    assert [m.headers[":event-type"] for m in messages] == [
        "messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockDelta", "contentBlockStop",
        "messageStop", "metadata"]
    assert all(m.headers[":message-type"] == "event" and m.headers[":content-type"] == "application/json"
               for m in messages)
    payloads = [json.loads(m.payload) for m in messages]
    assert all("p" in p for p in payloads), "Bedrock pads every event payload"
    assert "".join(p["delta"]["text"] for p in payloads if "delta" in p) == "echo: a b"


def test_encoder_matches_botocores_decoder_for_every_frame_kind():
    frames = [bedrock_wire.event_frame("messageStart", {"role": "assistant"}),
              bedrock_wire.exception_frame("throttlingException", "slow down"),
              bedrock_wire.encode_frame([], b"")]
    buffer = EventStreamBuffer()
    buffer.add_data(b"".join(frames))
    decoded = list(buffer)
    assert decoded[0].headers[":event-type"] == "messageStart"
    assert json.loads(decoded[1].payload) == {"message": "slow down"}
    assert decoded[1].headers[":exception-type"] == "throttlingException"
    assert decoded[2].headers == {} and decoded[2].payload == b""
    corrupted = bytearray(frames[0])
    corrupted[-6] ^= 0xFF
    broken = EventStreamBuffer()
    broken.add_data(bytes(corrupted))
    with pytest.raises(Exception, match="(?i)checksum|crc"):
        list(broken)


# ------------------------------------------------------------------------------------------- errors

@pytest.mark.parametrize("model, code, status", [
    ("mock-429", "ThrottlingException", 429),
    ("mock-400", "ValidationException", 400),
    ("mock-403", "AccessDeniedException", 403),
    ("mock-404", "ResourceNotFoundException", 404),
    ("mock-500", "InternalServerException", 500),
    ("mock-503", "ServiceUnavailableException", 503),
])
def test_errors_raise_the_sdk_exception(sdk, model, code, status):
    modeled = getattr(sdk.exceptions, code)
    for call in (sdk.converse, sdk.converse_stream):
        with pytest.raises(modeled) as caught:
            call(modelId=model, messages=user("x"))
        assert caught.value.response["Error"]["Code"] == code
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
        assert caught.value.response["ResponseMetadata"]["RequestId"]
        if status == 429:
            assert caught.value.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"


def test_signature_is_verified(mock):
    wrong_secret = make_sdk(mock.base, secret="not-the-secret")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        wrong_secret.converse(modelId=MODEL, messages=user("x"))
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    other_key = make_sdk(mock.base, access="AKIDOTHER")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        other_key.converse(modelId=MODEL, messages=user("x"))
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"
    unsigned = httpx.post(mock.base + "/model/m/converse", json={"messages": user("x")}, trust_env=False,
                          timeout=HTTP_TIMEOUT)
    assert unsigned.status_code == 403
    assert unsigned.headers["x-amzn-errortype"].startswith("MissingAuthenticationTokenException")


def test_session_token_is_accepted_and_recorded(mock):
    rid = request_id("bedrock-token")
    sdk = make_sdk(mock.base, token="FwoGZXIvYXdzEXAMPLETOKEN", rid=rid)
    answer = sdk.converse(modelId=MODEL, messages=user("hi"))
    assert answer["output"]["message"]["content"][0]["text"] == "echo: hi"
    assert mock.one_request(rid)["headers"]["x-amz-security-token"] == "FwoGZXIvYXdzEXAMPLETOKEN"


def test_tampered_body_is_refused(mock):
    body = json.dumps({"messages": user("a")}).encode()
    url = mock.base + "/model/m/converse"
    request = AWSRequest(method="POST", url=url, data=body, headers={
        "content-type": "application/json", "x-amz-content-sha256": hashlib.sha256(body).hexdigest()})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "bedrock", "us-east-1").add_auth(request)
    response = httpx.post(url, content=body.replace(b'"a"', b'"b"'), headers=dict(request.headers.items()),
                          timeout=HTTP_TIMEOUT, trust_env=False)
    assert response.status_code == 403
    assert "x-amz-content-sha256" in response.json()["message"]
