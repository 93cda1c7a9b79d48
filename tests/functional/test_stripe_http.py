"""behaviour.md "Providers" ``/stripe`` through handler.handler on moto, deliveries signed by stripe-python."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from botocore.stub import Stubber

from tests.provider_signing import sample, stripe_body, stripe_event, stripe_header, stripe_payment
from webhook import aws as aws_clients
from webhook.raw_body import raw_event_text

from .conftest import number


def answer(response: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    assert response["headers"]["content-type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def test_payment_event_is_stored_with_amount_minor_exactly(aws: Any, providers: Any, call: Any) -> None:
    event = sample("stripe_payment_intent_succeeded.json")
    delivery = stripe_event(event)
    status, body = answer(call(delivery))
    assert (status, body) == (
        200,
        {"status": "accepted", "transactionId": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "eventId": event["id"]},
    )
    item = aws.get("pi_3MtwBwLkdIwHu7ix28a3tqPa", event["id"])
    assert item is not None
    assert item["amount"] == {"N": "20.00"} and item["amountMinor"] == {"N": "2000"}
    assert number(item) == Decimal("20")
    assert item["currency"] == {"S": "USD"} and item["status"] == {"S": "payment_intent.succeeded"}
    assert item["provider"] == {"S": "stripe"}
    assert item["timestamp"] == {"S": "2023-03-29T04:27:08.000Z"}
    assert raw_event_text(item) == delivery["body"]
    assert item["processedAt"]["S"].endswith("Z")
    assert "success" not in item


@pytest.mark.parametrize(
    ("currency", "minor", "stored"),
    [("usd", 1999, "19.99"), ("jpy", 1999, "1999"), ("kwd", 1999, "1.999"), ("vnd", 250000, "250000")],
)
def test_contract_amount_examples(aws: Any, providers: Any, call: Any, currency: str, minor: int, stored: str) -> None:
    event = stripe_payment(currency=currency, amount=minor, event_id=f"evt_{currency}")
    assert call(stripe_event(event))["statusCode"] == 200
    item = aws.get("pi_3MtwBwLkdIwHu7ix28a3tqPa", f"evt_{currency}")
    assert item is not None and Decimal(item["amount"]["N"]) == Decimal(stored)
    assert item["amountMinor"] == {"N": str(minor)}


@pytest.mark.parametrize("literal", ["1999.0", "1.999e3", '"1999"', "null1"])
def test_amount_not_an_integer_literal_is_400_naming_amount(aws: Any, providers: Any, call: Any, literal: str) -> None:
    text = stripe_body(stripe_payment()).decode().replace('"amount": 2000', f'"amount": {literal}', 1)
    status, body = answer(call(stripe_event(text.encode())))
    if literal == "null1":
        assert (status, body["error"]["code"]) == (400, "invalid_json")
    else:
        assert (status, body["error"]["code"]) == (400, "invalid_field")
        assert body["error"]["message"].startswith("amount")
    assert aws.items() == []


@pytest.mark.parametrize("name", ["stripe_customer_created.json", "stripe_plan_created.json"])
def test_non_payment_event_is_ignored_and_nothing_stored(aws: Any, providers: Any, call: Any, name: str) -> None:
    event = sample(name)
    assert answer(call(stripe_event(event))) == (200, {"status": "ignored", "eventId": event["id"]})
    assert aws.items() == []


def test_redelivery_with_new_timestamp_and_signature_is_a_duplicate(aws: Any, providers: Any, call: Any) -> None:
    body = stripe_body(stripe_payment())
    first = stripe_event(body, timestamp=int(time.time()) - 100)
    retry = stripe_event(body)  # Stripe retries carry a new t and v1
    assert first["headers"]["stripe-signature"] != retry["headers"]["stripe-signature"]
    assert answer(call(first))[1]["status"] == "accepted"
    assert answer(call(retry))[1]["status"] == "duplicate"
    assert aws.count() == 1


def test_signature_is_checked_on_the_raw_bytes_before_parsing(aws: Any, providers: Any, call: Any) -> None:
    body = b"{not json"
    assert answer(call(stripe_event(body, header=f"t={int(time.time())},v1={'0' * 64}")))[0] == 401
    assert answer(call(stripe_event(body)))[0] == 400  # authentic: parsed, refused


@pytest.mark.parametrize(
    "header",
    [
        None,
        "t=1,v1=" + "0" * 64,
        "garbage",
    ],
)
def test_missing_malformed_or_non_matching_signature_is_401(
    aws: Any, providers: Any, call: Any, header: str | None
) -> None:
    delivery = stripe_event(stripe_payment())
    if header is None:
        del delivery["headers"]["stripe-signature"]
    else:
        delivery["headers"]["stripe-signature"] = header
    status, body = answer(call(delivery))
    assert (status, body["error"]["code"]) == (401, "invalid_signature")
    assert aws.items() == []


@pytest.mark.parametrize("offset", [-301, 301])
def test_tolerance_applies_in_the_past_and_the_future(aws: Any, providers: Any, call: Any, offset: int) -> None:
    delivery = stripe_event(stripe_payment(), timestamp=int(time.time()) + offset)
    assert answer(call(delivery))[0] == 401


def test_header_name_is_case_insensitive(aws: Any, providers: Any, call: Any) -> None:
    delivery = stripe_event(stripe_payment())
    delivery["headers"]["Stripe-Signature"] = delivery["headers"].pop("stripe-signature")
    assert answer(call(delivery))[0] == 200


def test_tampered_body_is_401(aws: Any, providers: Any, call: Any) -> None:
    body = stripe_body(stripe_payment())
    header = stripe_header(body)
    assert answer(call(stripe_event(body.replace(b"2000", b"9000"), header=header)))[0] == 401


def test_storage_failure_is_5xx_and_a_retry_stores_it(aws: Any, providers: Any, call: Any) -> None:
    ddb = aws_clients.client("dynamodb")
    delivery = stripe_event(stripe_payment())
    with Stubber(ddb) as stub:
        stub.add_client_error("put_item", "ProvisionedThroughputExceededException", http_status_code=400)
        status, body = answer(call(delivery))
    assert (status, body["error"]["code"]) == (503, "storage_unavailable")
    assert answer(call(delivery))[1]["status"] == "accepted"
    assert aws.count() == 1


def test_only_v1_counts_v0_is_ignored(aws: Any, providers: Any, call: Any) -> None:
    body = stripe_body(stripe_payment())
    header = stripe_header(body)
    t, v1 = header.split(",")
    assert answer(call(stripe_event(body, header=f"{t},v0={v1.removeprefix('v1=')}")))[0] == 401
    assert answer(call(stripe_event(body, header=f"{t},v0={'0' * 64},{v1}")))[0] == 200


def test_transaction_is_the_object_id_without_a_payment_intent(aws: Any, providers: Any, call: Any) -> None:
    event = stripe_payment("charge.succeeded", event_id="evt_charge", id="ch_standalone", payment_intent=None)
    assert answer(call(stripe_event(event)))[1]["transactionId"] == "ch_standalone"
    assert aws.get("ch_standalone", "evt_charge") is not None
