"""Quarantine and replay against moto: nothing authentic is lost.

A signed event whose payload is refused answers 400 and lands, byte for byte, in
the CMK-encrypted queue (never in the table); a failed quarantine write is a 5xx;
``webhook_cli.replay`` re-drives the copies through the real handler
after a fix, deleting a message only after a 2xx, and never stores an event twice.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

import handler as handler_module
from tests.provider_signing import function_url_event
from webhook import aws as aws_clients
from webhook import validation, wiring
from webhook.quarantine import decode_message
from webhook.raw_body import raw_event_text
from webhook_cli import redrive as replay_quarantine
from webhook_cli.signing import Delivery

QUEUE = "webhook-quarantine-functest"
BAD_CURRENCY = "XYZ"  # not ISO 4217 today; "the fix" below adds it


@pytest.fixture
def queue(aws: Any, moto_account: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    import boto3

    sqs = boto3.client("sqs", region_name="eu-west-1")
    url: str = sqs.create_queue(
        QueueName=QUEUE,
        Attributes={
            "KmsMasterKeyId": moto_account.kms_key_arn,
            "MessageRetentionPeriod": "1209600",
            "MaximumMessageSize": "1048576",
        },
    )["QueueUrl"]
    monkeypatch.setenv("QUARANTINE_QUEUE_URL", url)
    wiring.reset(clients=False)
    yield url
    sqs.delete_queue(QueueUrl=url)
    wiring.reset(clients=False)


def messages(url: str) -> list[dict[str, Any]]:
    import boto3

    sqs = boto3.client("sqs", region_name="eu-west-1")
    found: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
        new = [m for m in batch if m["MessageId"] not in {f["MessageId"] for f in found}]
        if not new:
            return found
        found.extend(new)


def test_signed_but_invalid_event_is_400_and_quarantined_never_stored(
    aws: Any, queue: str, invoke: Any, make_event: Any, make_payload: Any
) -> None:
    body = make_payload(currency=BAD_CURRENCY, note="keep me: 1E+400 \u20ac")
    event = make_event(body, webhook_id="msg_quarantine_1")
    result = invoke(event)
    assert (result.status, result.body["error"]["code"]) == (400, "invalid_field")
    assert aws.items() == []
    (message,) = messages(queue)
    kept = decode_message(message["Body"])
    assert kept.body == body.encode()
    assert kept.event_id == "msg_quarantine_1"
    assert kept.reason_code == "invalid_field" and kept.reason_message.startswith("currency")
    assert kept.headers["webhook-signature"] == event["headers"]["webhook-signature"]
    assert kept.headers["webhook-timestamp"] == event["headers"]["webhook-timestamp"]


def test_queue_attributes_match_the_terraform_module(queue: str) -> None:
    import boto3

    attributes = boto3.client("sqs", region_name="eu-west-1").get_queue_attributes(
        QueueUrl=queue, AttributeNames=["All"]
    )["Attributes"]
    assert attributes["MessageRetentionPeriod"] == "1209600" and attributes["KmsMasterKeyId"].startswith("arn:aws:kms")


@pytest.mark.parametrize("case", ["unsigned", "valid", "stale"])
def test_only_authentic_refused_events_are_quarantined(
    aws: Any, queue: str, invoke: Any, make_event: Any, make_payload: Any, case: str
) -> None:
    if case == "unsigned":
        event = make_event(make_payload(currency=BAD_CURRENCY))
        del event["headers"]["webhook-signature"]
        expected = 401
    elif case == "stale":
        event = make_event(make_payload(currency=BAD_CURRENCY), timestamp=int(time.time()) - 3600)
        expected = 401
    else:
        event = make_event(make_payload())
        expected = 200
    assert invoke(event).status == expected
    assert messages(queue) == []


def test_without_queue_url_the_answer_is_exactly_as_before(
    aws: Any, invoke: Any, make_event: Any, make_payload: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUARANTINE_QUEUE_URL", raising=False)
    aws_clients._clients.pop("sqs", None)
    result = invoke(make_event(make_payload(currency=BAD_CURRENCY)))
    assert result.status == 400
    assert result.body == {"error": {"code": "invalid_field", "message": "currency: must be an ISO 4217 currency code"}}
    assert "sqs" not in aws_clients._clients  # no SQS client was even created


def test_quarantine_queue_missing_is_500_and_nothing_stored(
    aws: Any, queue: str, invoke: Any, make_event: Any, make_payload: Any, secret: str
) -> None:
    import boto3

    boto3.client("sqs", region_name="eu-west-1").delete_queue(QueueUrl=queue)
    result = invoke(make_event(make_payload(currency=BAD_CURRENCY)))
    assert (result.status, result.body["error"]["code"]) == (500, "quarantine_error")
    for leak in (QUEUE, "arn:", secret, "Traceback"):
        assert leak not in result.response["body"]
    assert aws.items() == []
    boto3.client("sqs", region_name="eu-west-1").create_queue(QueueName=QUEUE)  # for the fixture's teardown


def test_quarantine_throttled_is_503_so_the_provider_retries(
    aws: Any, queue: str, invoke: Any, make_event: Any, make_payload: Any
) -> None:
    event = make_event(make_payload(currency=BAD_CURRENCY), webhook_id="msg_retry_q")
    with Stubber(aws_clients.client("sqs")) as stub:
        stub.add_client_error("send_message", service_error_code="RequestThrottled", http_status_code=400)
        first = invoke(event)
    assert (first.status, first.body["error"]["code"]) == (503, "quarantine_unavailable")
    assert messages(queue) == []
    retried = invoke(event)  # the provider's retry, once SQS is back
    assert retried.status == 400
    assert len(messages(queue)) == 1
    assert aws.items() == []


# --- replay ---------------------------------------------------------------------------------------


def handler_post(delivery: Delivery) -> int:
    """What the Function URL does with the replayed request: a payload 2.0 event for the handler."""
    headers = {k.lower(): v for k, v in delivery.headers.items()}
    event = function_url_event(delivery.path, delivery.body, headers, base64_encoded=True)
    response = handler_module.handler(event, None)
    status: int = response["statusCode"]
    return status


def sqs_queue(url: str) -> replay_quarantine.SqsQueue:
    import boto3

    return replay_quarantine.SqsQueue(boto3.client("sqs", region_name="eu-west-1"), url, wait_seconds=0)


@pytest.fixture
def fixed(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Deploying the fix: the refused currency becomes valid."""

    def apply() -> None:
        monkeypatch.setattr(validation, "ISO_4217_CODES", validation.ISO_4217_CODES | {BAD_CURRENCY})

    return apply


def test_replay_after_the_fix_stores_each_event_once_and_empties_the_queue(
    aws: Any, queue: str, invoke: Any, make_event: Any, make_payload: Any, secret: str, fixed: Any
) -> None:
    keys = dict(standard=(secret,))
    bodies = {f"msg_r{i}": make_payload(transactionId=f"txn_r{i}", currency=BAD_CURRENCY) for i in range(3)}
    for event_id, body in bodies.items():
        assert invoke(make_event(body, webhook_id=event_id, timestamp=int(time.time()) - 600)).status == 401
        assert invoke(make_event(body, webhook_id=event_id)).status == 400
    assert invoke(make_event(bodies["msg_r0"], webhook_id="msg_r0")).status == 400  # provider retried: 2 copies
    assert len(messages(queue)) == 4

    # Before the fix: refused again (and quarantined again by the handler); nothing deleted.
    report = replay_quarantine.replay(sqs_queue(queue), handler_post, keys)
    assert [line.action for line in report.lines][:1] == ["rejected"] and report.deleted == 0
    assert len(messages(queue)) == 5
    assert aws.items() == []

    fixed()
    report = replay_quarantine.replay(sqs_queue(queue), handler_post, keys)
    assert sorted(line.action for line in report.lines) == ["replayed"] * 3
    assert report.deleted == 5 and messages(queue) == []
    items = {(i["transactionId"]["S"], i["eventId"]["S"]): i for i in aws.items()}
    assert set(items) == {(f"txn_r{i}", f"msg_r{i}") for i in range(3)}  # original webhook-ids, once each
    for (_, event_id), item in items.items():
        assert raw_event_text(item) == bodies[event_id]  # the bytes the provider signed
        assert item["currency"]["S"] == BAD_CURRENCY

    # A copy replayed again (e.g. a second operator's run) is a duplicate, never a second item.
    assert invoke(make_event(bodies["msg_r1"], webhook_id="msg_r1")).body["status"] == "duplicate"
    assert aws.count() == 3


def test_replay_leaves_altered_or_foreign_messages_alone(
    aws: Any, queue: str, invoke: Any, make_event: Any, make_payload: Any, secret: str, fixed: Any
) -> None:
    import boto3

    sqs = boto3.client("sqs", region_name="eu-west-1")
    assert invoke(make_event(make_payload(currency=BAD_CURRENCY), webhook_id="msg_t1")).status == 400
    (message,) = messages(queue)
    data = json.loads(message["Body"])
    forged = make_payload(currency=BAD_CURRENCY, amount="1000000")
    data["body"] = base64.b64encode(forged.encode()).decode()
    data["bodySha256"] = hashlib.sha256(forged.encode()).hexdigest()
    receipt = sqs.receive_message(QueueUrl=queue)["Messages"][0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=receipt)
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(data))
    sqs.send_message(QueueUrl=queue, MessageBody="not a quarantine message")
    fixed()
    report = replay_quarantine.replay(
        sqs_queue(queue), handler_post, dict(standard=(secret,))
    )
    assert sorted(line.action for line in report.lines) == ["malformed", "unverified"]
    assert report.deleted == 0 and len(messages(queue)) == 2
    assert aws.items() == []


def test_replay_after_a_secret_rotation_needs_allow_unverified(
    aws: Any, queue: str, invoke: Any, make_event: Any, make_payload: Any, fixed: Any
) -> None:
    assert invoke(make_event(make_payload(currency=BAD_CURRENCY), webhook_id="msg_rot")).status == 400
    new_secret = "whsec_" + base64.b64encode(b"n" * 32).decode()
    aws.set_secret(new_secret)  # the old secret is gone
    wiring.reset(clients=False)
    fixed()
    keys = dict(standard=(new_secret,))
    report = replay_quarantine.replay(sqs_queue(queue), handler_post, keys)
    assert [line.action for line in report.lines] == ["unverified"] and len(messages(queue)) == 1
    report = replay_quarantine.replay(sqs_queue(queue), handler_post, keys, allow_unverified=True)
    assert [(line.action, line.status) for line in report.lines] == [("replayed", 200)]
    assert messages(queue) == [] and aws.count() == 1


def test_dry_run_sends_and_deletes_nothing(
    aws: Any, queue: str, invoke: Any, make_event: Any, make_payload: Any, secret: str
) -> None:
    assert invoke(make_event(make_payload(currency=BAD_CURRENCY))).status == 400
    sent: list[Any] = []
    report = replay_quarantine.replay(
        sqs_queue(queue),
        lambda d: sent.append(d) or 200,
        dict(standard=(secret,)),
        dry_run=True,
    )
    assert [line.action for line in report.lines] == ["listed"] and sent == []
    assert len(messages(queue)) == 1
