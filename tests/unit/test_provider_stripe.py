"""webhook.providers.stripe: Stripe-Signature verification (against stripe-python) and mapping."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
import stripe

from tests.provider_signing import STRIPE_SECRET, sample, stripe_body, stripe_header, stripe_payment
from webhook.errors import FieldError, WebhookError
from webhook.providers import stripe as provider
from webhook.signature import SignatureError

NOW = 1_767_268_800
KEY = STRIPE_SECRET.encode()


def verify(body: bytes, header: str | None, *, keys: tuple[bytes, ...] = (KEY,), now: float = NOW) -> Any:
    headers = {} if header is None else {"stripe-signature": header}
    return provider.verify(headers, body, keys, tolerance_seconds=300, now=now)


def mapped(event: dict[str, Any]) -> Any:
    body = stripe_body(event)
    return provider.map_delivery(verify(body, stripe_header(body, timestamp=NOW)))


# --- signature ---------------------------------------------------------------------------


def test_sdk_signed_delivery_verifies() -> None:
    body = stripe_body(sample("stripe_payment_intent_succeeded.json"))
    header = stripe_header(body, timestamp=NOW)
    assert stripe.WebhookSignature.verify_header(body.decode(), header, STRIPE_SECRET, tolerance=None)
    delivery = verify(body, header)
    assert delivery.raw == body and delivery.event_id is None


def test_key_is_the_whole_whsec_string_not_base64_decoded() -> None:
    assert provider.decode_secret(STRIPE_SECRET) == STRIPE_SECRET.encode()
    assert provider.decode_secret("") is None


def test_body_is_signed_byte_for_byte() -> None:
    body = stripe_body(stripe_payment())
    header = stripe_header(body, timestamp=NOW)
    with pytest.raises(SignatureError):
        verify(body.replace(b"2000", b"2001"), header)
    with pytest.raises(SignatureError):
        verify(body + b" ", header)


def test_timestamp_is_signed() -> None:
    body = b"{}"
    signature = stripe_header(body, timestamp=NOW).split(",")[1]
    with pytest.raises(SignatureError):
        verify(body, f"t={NOW + 1},{signature}")


def test_any_v1_may_match_and_other_schemes_are_ignored() -> None:
    body = b'{"id": "evt_1"}'
    good = stripe_header(body, timestamp=NOW).split(",")[1].removeprefix("v1=")
    assert verify(body, f"t={NOW},v1={'0' * 64},v1={good}")
    with pytest.raises(SignatureError, match="no v1"):
        verify(body, f"t={NOW},v0={good}")


def test_rotation_any_configured_secret_verifies() -> None:
    body = b"{}"
    header = stripe_header(body, secret="whsec_new", timestamp=NOW)
    assert verify(body, header, keys=(b"whsec_old", b"whsec_new"))
    with pytest.raises(SignatureError):
        verify(body, header, keys=(b"whsec_old",))


@pytest.mark.parametrize("offset", [-300, 300])
def test_tolerance_boundary_accepted_both_ways(offset: int) -> None:
    body = b"{}"
    assert verify(body, stripe_header(body, timestamp=NOW + offset))


@pytest.mark.parametrize("offset", [-301, 301])
def test_outside_tolerance_rejected_past_and_future(offset: int) -> None:
    # Stricter than stripe-python, which only rejects stale timestamps.
    body = b"{}"
    with pytest.raises(SignatureError, match="too"):
        verify(body, stripe_header(body, timestamp=NOW + offset))


@pytest.mark.parametrize(
    "header",
    [None, "", "t=,v1=00", "v1=" + "0" * 64, "t=abc,v1=" + "0" * 64, "t=1 ,v1=" + "0" * 64, "garbage"],
)
def test_missing_or_malformed_header_rejected(header: str | None) -> None:
    with pytest.raises(SignatureError):
        verify(b"{}", header)


def test_upper_case_hex_does_not_match() -> None:
    # stripe-python compares the lower-case hexdigest as a string.
    body = b"{}"
    good = stripe_header(body, timestamp=NOW).split("v1=")[1]
    with pytest.raises(SignatureError):
        verify(body, f"t={NOW},v1={good.upper()}")


def test_no_keys_nothing_verifies() -> None:
    body = b"{}"
    with pytest.raises(SignatureError):
        verify(body, stripe_header(body, timestamp=NOW), keys=())


def test_real_clock_delivery_verifies() -> None:
    body = b"{}"
    assert verify(body, stripe_header(body), now=time.time())


# --- mapping -----------------------------------------------------------------------------


def test_payment_intent_maps_to_a_record() -> None:
    result = mapped(sample("stripe_payment_intent_succeeded.json"))
    (record,) = result.records
    tx = record.transaction
    assert tx.transaction_id == "pi_3MtwBwLkdIwHu7ix28a3tqPa"
    assert record.event_id == "evt_3MtwBwLkdIwHu7ix0snN0B15"
    assert (tx.amount, tx.currency, tx.status, tx.provider) == (
        Decimal("20.00"),
        "USD",
        "payment_intent.succeeded",
        "stripe",
    )
    assert str(tx.amount) == "20.00" and record.amount_minor == 2000
    assert tx.timestamp == "2023-03-29T04:27:08.000Z" == record.event_time
    assert record.scheme == "stripe" and record.success is None


def test_charge_uses_its_payment_intent_and_passes_amount_refunded() -> None:
    (record,) = mapped(sample("stripe_charge_refunded.json")).records
    assert record.transaction.transaction_id == "pi_3MtwBwLkdIwHu7ix28a3tqPa"
    assert record.event_id == "evt_3MtwBwLkdIwHu7ix1ZsXr9Qk"
    assert (record.amount_minor, record.amount_refunded_minor) == (2000, 500)


def test_object_id_when_payment_intent_is_not_a_string() -> None:
    (record,) = mapped(stripe_payment("charge.succeeded", id="ch_1", payment_intent=None)).records
    assert record.transaction.transaction_id == "ch_1"
    (record,) = mapped(stripe_payment("charge.succeeded", id="ch_2", payment_intent={"id": "pi_x"})).records
    assert record.transaction.transaction_id == "ch_2"


@pytest.mark.parametrize(
    ("currency", "minor", "amount"),
    [
        ("usd", 1999, "19.99"),
        ("jpy", 1999, "1999"),
        ("kwd", 1999, "1.999"),
        ("krw", 5, "5"),
        ("clp", 1999, "1999"),
        ("bhd", -1, "-0.001"),
        ("isk", 100, "1.00"),
        ("eur", 0, "0.00"),
        ("usd", 12345678901234567890123456789012345678, "123456789012345678901234567890123456.78"),
    ],
)
def test_amount_is_minor_units_by_stripes_table(currency: str, minor: int, amount: str) -> None:
    (record,) = mapped(stripe_payment(amount=minor, currency=currency)).records
    assert str(record.transaction.amount) == amount
    assert record.amount_minor == minor and record.transaction.currency == currency.upper()


@pytest.mark.parametrize("literal", ["1999.0", "1.999e3", "2e3", '"1999"', "true", "[1999]", "1999E0"])
def test_amount_must_be_a_json_integer_literal(literal: str) -> None:
    text = stripe_body(stripe_payment()).decode().replace('"amount": 2000', f'"amount": {literal}', 1)
    body = text.encode()
    with pytest.raises(FieldError) as info:
        provider.map_delivery(verify(body, stripe_header(body, timestamp=NOW)))
    assert info.value.field == "amount" and info.value.status == 400
    assert "amount" in info.value.message


def test_amount_beyond_38_digits_is_400() -> None:
    with pytest.raises(FieldError) as info:
        mapped(stripe_payment(amount=10**40 + 1))
    assert info.value.field == "amount"


@pytest.mark.parametrize("name", ["stripe_customer_created.json", "stripe_plan_created.json"])
def test_non_payment_events_are_ignored(name: str) -> None:
    event = sample(name)
    result = mapped(event)
    assert result.records == () and result.ignored_event_id == event["id"]
    response = provider.respond(result, [])
    assert (response["statusCode"], json.loads(response["body"])) == (
        200,
        {"status": "ignored", "eventId": event["id"]},
    )


def _no_amount_bad_created(event: dict[str, Any]) -> None:
    event["data"]["object"]["amount"] = None
    event["created"] = "not checked on ignored events"


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e.update(data=[]),
        lambda e: e.pop("data"),
        lambda e: e["data"].update(object="x"),
        lambda e: e.update(object="v2.core.event", created="2026-01-01T12:00:00.000Z", data=None),
        _no_amount_bad_created,
    ],
)
def test_events_without_a_payment_object_are_ignored(change: Any) -> None:
    event = stripe_payment()
    change(event)
    result = mapped(event)
    assert result.records == () and result.ignored_event_id == "evt_test_0001"


def test_missing_amount_or_currency_is_not_a_payment() -> None:
    event = stripe_payment()
    del event["data"]["object"]["amount"]
    assert mapped(event).records == ()
    assert mapped(stripe_payment(currency=None)).records == ()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda e: e.pop("id"), "id"),
        (lambda e: e.update(id=7), "id"),
        (lambda e: e.update(id="evt with space"), "id"),
        (lambda e: e.pop("type"), "type"),
        (lambda e: e.update(type=None), "type"),
        (lambda e: e.update(created="1680064028"), "created"),
        (lambda e: e.update(created=1.5), "created"),
        (lambda e: e.pop("created"), "created"),
        (lambda e: e["data"]["object"].update(currency="zzz"), "currency"),
        (lambda e: e["data"]["object"].update(currency=840), "currency"),
        (lambda e: e["data"]["object"].update(id="pi bad", payment_intent=None), "transactionId"),
        (lambda e: e["data"]["object"].update(amount_refunded="5"), "amount_refunded"),
    ],
)
def test_invalid_payment_events_are_400_naming_the_field(change: Any, field: str) -> None:
    event = stripe_payment()
    change(event)
    with pytest.raises(FieldError) as info:
        mapped(event)
    assert info.value.field == field


def test_body_not_json_is_400() -> None:
    body = b"not json"
    with pytest.raises(WebhookError) as info:
        provider.map_delivery(verify(body, stripe_header(body, timestamp=NOW)))
    assert (info.value.status, info.value.code) == (400, "invalid_json")


def test_duplicated_amount_is_400() -> None:
    text = stripe_body(stripe_payment()).decode().replace('"amount": 2000', '"amount": 2000, "amount": 1', 1)
    body = text.encode()
    with pytest.raises(FieldError) as info:
        provider.map_delivery(verify(body, stripe_header(body, timestamp=NOW)))
    assert info.value.field == "amount"


def test_respond_accepted_or_duplicate() -> None:
    result = mapped(stripe_payment())
    (record,) = result.records
    from webhook.providers.common import StoredRecord

    for written, status in ((True, "accepted"), (False, "duplicate")):
        response = provider.respond(result, [StoredRecord(record, written)])
        assert json.loads(response["body"]) == {
            "status": status,
            "transactionId": record.transaction.transaction_id,
            "eventId": record.event_id,
        }
