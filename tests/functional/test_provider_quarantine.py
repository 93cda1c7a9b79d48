"""Quarantine per provider: an authentic event refused with 400 is kept with what re-verification needs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.provider_signing import (
    ADYEN_HMAC_KEY,
    STRIPE_SECRET,
    adyen_event,
    adyen_item,
    function_url_event,
    stripe_event,
    stripe_payment,
)
from webhook import wiring
from webhook.quarantine import decode_message

QUEUE = "webhook-quarantine-providers-functest"


@pytest.fixture
def queue(aws: Any, moto_account: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    import boto3

    sqs = boto3.client("sqs", region_name="eu-west-1")
    url: str = sqs.create_queue(QueueName=QUEUE, Attributes={"KmsMasterKeyId": moto_account.kms_key_arn})["QueueUrl"]
    monkeypatch.setenv("QUARANTINE_QUEUE_URL", url)
    wiring.reset(clients=False)
    yield url
    sqs.delete_queue(QueueUrl=url)
    wiring.reset(clients=False)


def kept(url: str) -> list[Any]:
    import boto3

    sqs = boto3.client("sqs", region_name="eu-west-1")
    batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return [decode_message(m["Body"]) for m in batch]


def test_stripe_event_refused_is_kept_with_its_signature_header(
    aws: Any, providers: Any, queue: str, call: Any
) -> None:
    delivery = stripe_event(stripe_payment(currency="xyz", event_id="evt_bad_currency"))
    assert call(delivery)["statusCode"] == 400
    assert aws.items() == []
    (copy,) = kept(queue)
    assert (copy.provider, copy.path, copy.event_id) == ("stripe", "/stripe", "evt_bad_currency")
    assert copy.reason_code == "invalid_field" and copy.reason_message.startswith("currency")
    assert copy.body == delivery["body"].encode()
    header = copy.headers["stripe-signature"]
    assert header == delivery["headers"]["stripe-signature"]
    # Re-verifiable from the copy alone, with Stripe's scheme.
    t = header.split(",")[0].removeprefix("t=")
    mac = hmac.new(STRIPE_SECRET.encode(), f"{t}.".encode() + copy.body, hashlib.sha256).hexdigest()
    assert f"v1={mac}" in header
    assert set(copy.headers) <= {"stripe-signature", "content-type"}


def test_adyen_batch_refused_is_kept_whole_signatures_inside(aws: Any, providers: Any, queue: str, call: Any) -> None:
    delivery = adyen_event([adyen_item(), adyen_item(pspReference="P2", success="maybe")])
    assert call(delivery)["statusCode"] == 400
    assert aws.items() == []
    (copy,) = kept(queue)
    assert (copy.provider, copy.path, copy.event_id) == ("adyen", "/adyen", "")
    assert copy.reason_message.startswith("success")
    items = [e["NotificationRequestItem"] for e in json.loads(copy.body)["notificationItems"]]
    for item in items:  # every item's HMAC travels in the body
        payload = ":".join(
            str(v)
            for v in (
                item["pspReference"],
                item.get("originalReference", ""),
                item["merchantAccountCode"],
                item["merchantReference"],
                item["amount"]["value"],
                item["amount"]["currency"],
                item["eventCode"],
                item["success"],
            )
        )
        mac = hmac.new(bytes.fromhex(ADYEN_HMAC_KEY), payload.encode(), hashlib.sha256).digest()
        assert item["additionalData"]["hmacSignature"] == base64.b64encode(mac).decode()


def test_unauthentic_deliveries_are_not_kept(aws: Any, providers: Any, queue: str, call: Any) -> None:
    assert call(stripe_event(stripe_payment(currency="xyz"), secret="whsec_wrong"))["statusCode"] == 401
    assert call(adyen_event([adyen_item(success="maybe")], key="00" * 32))["statusCode"] == 401
    assert kept(queue) == []


def test_standard_copies_record_their_provider_and_path(
    aws: Any, queue: str, call: Any, make_event: Any, make_payload: Any
) -> None:
    event = {**make_event(make_payload(currency="XYZ"), webhook_id="msg_q_std"), "rawPath": "/standard"}
    assert call(event)["statusCode"] == 400
    (copy,) = kept(queue)
    assert (copy.provider, copy.path, copy.event_id) == ("standard", "/standard", "msg_q_std")
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(copy.headers)


# --- replay per provider (webhook_cli.replay, H2's tool) on the copies this function writes ----------


def handler_post(delivery: Any) -> int:
    """The Function URL in front of the handler, for the replay tool's deliveries."""
    import handler as handler_module

    headers = {k.lower(): v for k, v in delivery.headers.items()}
    event = function_url_event(delivery.path, delivery.body, headers, base64_encoded=True)
    status: int = handler_module.handler(event, None)["statusCode"]
    return status


def test_stripe_and_adyen_copies_replay_after_the_fix(
    aws: Any, providers: Any, queue: str, call: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from webhook import validation
    from webhook_cli import redrive as replay

    assert call(stripe_event(stripe_payment(currency="xyz", event_id="evt_fixme")))["statusCode"] == 400
    assert call(adyen_event([adyen_item(amount={"currency": "XYZ", "value": 500})]))["statusCode"] == 400
    assert aws.items() == [] and len(kept(queue)) == 2
    monkeypatch.setattr(validation, "ISO_4217_CODES", validation.ISO_4217_CODES | {"XYZ"})  # "the fix"
    sqs = replay.SqsQueue(boto3.client("sqs", region_name="eu-west-1"), queue, wait_seconds=0)
    secrets = dict(stripe=(STRIPE_SECRET,), adyen=(ADYEN_HMAC_KEY,))
    report = replay.replay(sqs, handler_post, secrets)
    assert sorted((line.action, line.status) for line in report.lines) == [("replayed", 200), ("replayed", 200)]
    keys = sorted((i["transactionId"]["S"], i["eventId"]["S"], i["provider"]["S"]) for i in aws.items())
    assert keys == [
        ("QFQTPCQ8HXSKGK82", "AUTHORISATION:QFQTPCQ8HXSKGK82:true", "adyen"),
        ("pi_3MtwBwLkdIwHu7ix28a3tqPa", "evt_fixme", "stripe"),
    ]
    assert kept(queue) == []
