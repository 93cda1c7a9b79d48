"""Quarantine: what a copy holds, when one is made, and what its failure answers."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ConnectTimeoutError
from botocore.stub import Stubber

from webhook.config import ConfigError, load_settings
from webhook.errors import WebhookError
from webhook.quarantine import KEPT_HEADERS, SCHEMA, QuarantinedEvent, SqsQuarantine, decode_message
from webhook.service import Dependencies, WebhookService
from webhook.storage import StoredEvent, WriteResult

NOW = 1_767_268_800.25
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/payment-webhook-dev-quarantine"


def copy(body: bytes = b'{"transactionId": "t1", "amount": "x"}') -> QuarantinedEvent:
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": "1767268800",
        "webhook-signature": "v1,abc=",
        "stripe-signature": "t=1767268800,v1=00",
        "content-type": "application/json",
        "user-agent": "provider/1",
        "x-forwarded-for": "198.51.100.7",
    }
    return QuarantinedEvent("msg_1", "2026-01-01T12:00:00.250Z", "invalid_field", "amount: bad", headers, body)


# --- the message -------------------------------------------------------------------------


def test_message_keeps_exact_bytes_reason_time_and_only_the_replay_headers() -> None:
    body = b'{"a": "\xff\xfe not utf-8", "amount": 1e999}'
    text = copy(body).to_message()
    assert text.isascii()
    data = json.loads(text)
    assert data["schema"] == SCHEMA
    assert data["eventId"] == "msg_1"
    assert data["receivedAt"] == "2026-01-01T12:00:00.250Z"
    assert data["reason"] == {"code": "invalid_field", "message": "amount: bad"}
    assert set(data["headers"]) == set(KEPT_HEADERS)  # no user-agent, no source address
    assert base64.b64decode(data["body"]) == body
    assert decode_message(text) == QuarantinedEvent(
        "msg_1", "2026-01-01T12:00:00.250Z", "invalid_field", "amount: bad", data["headers"], body
    )


def test_largest_body_fits_in_one_sqs_message() -> None:
    text = copy(b"x" * 256 * 1024).to_message()
    assert len(text.encode()) < 1024 * 1024  # SQS's (and the queue's) maximum message size


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(schema="other/1"),
        lambda d: d.update(body=base64.b64encode(b"tampered").decode()),
        lambda d: d.update(bodyEncoding="text"),
        lambda d: d.update(headers="x"),
    ],
)
def test_decode_refuses_foreign_or_altered_messages(mutate: Any) -> None:
    data = json.loads(copy().to_message())
    mutate(data)
    with pytest.raises(ValueError):
        decode_message(json.dumps(data))


# --- the SQS sink ---------------------------------------------------------------------------


def sqs_client() -> Any:
    import boto3

    return boto3.client(
        "sqs",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        endpoint_url="http://127.0.0.1:9",
    )


def test_sends_one_message_to_the_queue() -> None:
    client = sqs_client()
    event = copy()
    with Stubber(client) as stub:
        stub.add_response(
            "send_message",
            {"MessageId": "m-1", "MD5OfMessageBody": "x"},
            {"QueueUrl": QUEUE_URL, "MessageBody": event.to_message()},
        )
        SqsQuarantine(lambda: client, QUEUE_URL).put(event)
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("RequestThrottled", 503, "quarantine_unavailable"),
        ("KmsThrottled", 503, "quarantine_unavailable"),
        ("InternalFailure", 503, "quarantine_unavailable"),
        ("KmsAccessDenied", 500, "quarantine_error"),
        ("AWS.SimpleQueueService.NonExistentQueue", 500, "quarantine_error"),
        ("AccessDenied", 500, "quarantine_error"),
    ],
)
def test_aws_errors_become_5xx(code: str, status: int, error: str) -> None:
    client = sqs_client()
    with Stubber(client) as stub:
        stub.add_client_error("send_message", service_error_code=code, service_message=f"arn:aws:sqs:x {QUEUE_URL}")
        with pytest.raises(WebhookError) as raised:
            SqsQuarantine(lambda: client, QUEUE_URL).put(copy())
    assert (raised.value.status, raised.value.code, raised.value.detail) == (status, error, code)
    assert QUEUE_URL not in raised.value.message and "arn:" not in raised.value.message


def test_timeout_is_503() -> None:
    class Slow:
        def send_message(self, **_: Any) -> Any:
            raise ConnectTimeoutError(endpoint_url=QUEUE_URL)

    with pytest.raises(WebhookError) as raised:
        SqsQuarantine(lambda: Slow(), QUEUE_URL).put(copy())
    assert (raised.value.status, raised.value.code) == (503, "quarantine_unavailable")


# --- configuration ---------------------------------------------------------------------------

BASE = {"TABLE_NAME": "tx", "WEBHOOK_SECRET_PARAM": "/p"}


def test_queue_url_is_optional() -> None:
    assert load_settings(BASE).quarantine_queue_url is None
    assert load_settings({**BASE, "QUARANTINE_QUEUE_URL": "  "}).quarantine_queue_url is None
    assert load_settings({**BASE, "QUARANTINE_QUEUE_URL": QUEUE_URL}).quarantine_queue_url == QUEUE_URL
    settings = load_settings({**BASE, "QUARANTINE_QUEUE_URL": QUEUE_URL, "SIGNATURE_TOLERANCE_SECONDS": "60"})
    assert (settings.tolerance_seconds, settings.quarantine_queue_url) == (60, QUEUE_URL)


@pytest.mark.parametrize("value", ["payment-webhook-dev-quarantine", "ftp://x/y", "https://a b/c"])
def test_bad_queue_url_is_a_configuration_error(value: str) -> None:
    with pytest.raises(ConfigError):
        load_settings({**BASE, "QUARANTINE_QUEUE_URL": value})


# --- the pipeline ------------------------------------------------------------------------------


class Keys:
    def __init__(self, key: bytes) -> None:
        self.key = key

    def keys(self) -> tuple[bytes, ...]:
        return (self.key,)


class Store:
    def __init__(self) -> None:
        self.items: list[StoredEvent] = []

    def write(self, event: StoredEvent) -> WriteResult:
        self.items.append(event)
        return WriteResult(True, event.processed_at)


class Sink:
    def __init__(self, error: Exception | None = None) -> None:
        self.events: list[QuarantinedEvent] = []
        self.error = error

    def put(self, event: QuarantinedEvent) -> None:
        if self.error:
            raise self.error
        self.events.append(event)


def run(key: bytes, event: dict[str, Any], sink: Sink | None) -> tuple[dict[str, Any], Store, list[str]]:
    store, lines = Store(), []
    service = WebhookService(lambda: Dependencies(Keys(key), store, 300, sink), clock=lambda: NOW, log=lines.append)
    return service.handle(event, None), store, lines


VALID = {"transactionId": "txn_1", "amount": "99.99", "currency": "USD"}
INVALID = [
    json.dumps({**VALID, "currency": "XYZ"}),
    json.dumps({**VALID, "amount": True}),
    json.dumps({"amount": "1", "currency": "USD"}),
    '{"transactionId": "t", "amount": NaN, "currency": "USD"}',
    "[1, 2]",
    "not json at all",
]


@pytest.mark.parametrize("body", INVALID)
def test_authentic_but_refused_event_is_quarantined_and_still_400(
    signing_key: bytes, make_event: Any, body: str
) -> None:
    sink = Sink()
    event = make_event(body, webhook_id="msg_q1", timestamp=int(NOW))
    response, store, lines = run(signing_key, event, sink)
    without, _, _ = run(signing_key, event, None)
    assert response == without  # the answer is exactly today's 400
    assert response["statusCode"] == 400
    assert store.items == []
    (kept,) = sink.events
    assert kept.body == body.encode()
    assert kept.event_id == "msg_q1"
    assert kept.received_at == "2026-01-01T12:00:00.250Z"
    assert kept.reason_code == json.loads(response["body"])["error"]["code"]
    assert kept.headers["webhook-signature"] == event["headers"]["webhook-signature"]
    assert json.loads(lines[0])["quarantined"] is True


def test_base64_body_is_kept_as_the_signed_bytes(signing_key: bytes, make_event: Any) -> None:
    raw = b'{"transactionId": "t1", "amount": "1", "currency": "\xe2\x82\xac"}'
    sink = Sink()
    response, _, _ = run(signing_key, make_event(raw, timestamp=int(NOW), base64_encoded=True), sink)
    assert response["statusCode"] == 400
    assert sink.events[0].body == raw


BAD = json.dumps({**VALID, "currency": "XYZ"})


@pytest.mark.parametrize(
    "build",
    [
        lambda make: make(BAD, timestamp=int(NOW), key=b"k" * 32),  # wrong key: 401
        lambda make: make(BAD, timestamp=int(NOW) - 3600),  # stale: 401
        lambda make: make(BAD, timestamp=int(NOW), signature="v1,AAAA"),  # malformed signature: 401
        lambda make: make(BAD, timestamp=int(NOW), method="GET"),  # 405
        lambda make: make("x" * (256 * 1024 + 1), timestamp=int(NOW)),  # 413
        lambda make: {**make(BAD, timestamp=int(NOW)), "isBase64Encoded": True, "body": "%%%"},  # 400 invalid_body
        lambda make: make(json.dumps(VALID), timestamp=int(NOW)),  # valid: 200
    ],
)
def test_nothing_else_is_quarantined(signing_key: bytes, make_event: Any, build: Any) -> None:
    event = build(make_event)
    sink = Sink()
    response, _, lines = run(signing_key, event, sink)
    assert response["statusCode"] in (200, 400, 401, 405, 413)
    assert sink.events == []
    assert "quarantined" not in json.loads(lines[0])


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (WebhookError(503, "quarantine_unavailable", "the rejected event could not be kept, retry later"), 503),
        (WebhookError(500, "quarantine_error", "the rejected event could not be kept"), 500),
        (RuntimeError("boom"), 500),
    ],
)
def test_failed_quarantine_is_5xx_so_the_provider_retries(
    signing_key: bytes, make_event: Any, error: Exception, status: int
) -> None:
    event = make_event(BAD, timestamp=int(NOW))
    response, store, lines = run(signing_key, event, Sink(error))
    assert response["statusCode"] == status
    assert store.items == []
    record = json.loads(lines[0])
    assert record["outcome"] == "error" and "quarantined" not in record
