"""webhook_cli.events: bodies shaped like each provider's (docs/behaviour.md, "Providers")."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from webhook_cli import events


def stripe(event_type: str, **kwargs) -> dict:
    return json.loads(events.stripe_event(event_type, "pi_shape_1", 1999, "USD", **kwargs))


def test_stripe_payment_intent_event_shape():
    event = stripe("payment_intent.succeeded", created=1764590400)
    assert re.fullmatch(r"evt_[A-Za-z0-9]{24}", event["id"])
    assert event["object"] == "event" and event["type"] == "payment_intent.succeeded"
    assert event["created"] == 1764590400 and event["livemode"] is False
    obj = event["data"]["object"]
    assert obj["object"] == "payment_intent" and obj["id"] == "pi_shape_1"
    assert obj["amount"] == 1999 and type(obj["amount"]) is int and obj["currency"] == "usd"
    assert obj["status"] == "succeeded" and obj["amount_received"] == 1999


def test_stripe_body_is_pretty_printed_json_with_integer_amounts():
    body = events.stripe_event("payment_intent.created", "pi_x", 1999, "jpy", event_id="evt_fixed")
    assert body.startswith(b'{\n  "id": "evt_fixed"')
    assert b'"amount": 1999,' in body  # an integer literal: no fraction, no exponent, not a string
    assert json.loads(body, parse_float=Decimal)["data"]["object"]["status"] == "requires_payment_method"


def test_stripe_charge_events_point_at_their_payment_intent():
    full = stripe("charge.refunded")["data"]["object"]
    assert full["object"] == "charge" and full["id"].startswith("ch_") and full["payment_intent"] == "pi_shape_1"
    assert (full["amount"], full["amount_refunded"], full["refunded"]) == (1999, 1999, True)
    partial = stripe("charge.refunded", amount_refunded=500)["data"]["object"]
    assert (partial["amount_refunded"], partial["refunded"]) == (500, False)
    assert stripe("charge.succeeded")["data"]["object"]["amount_refunded"] == 0


def test_stripe_dispute_and_non_payment_events():
    dispute = stripe("charge.dispute.created")["data"]["object"]
    assert dispute["object"] == "dispute" and dispute["payment_intent"] == "pi_shape_1" and dispute["amount"] == 1999
    customer = stripe("customer.created")["data"]["object"]
    assert customer["object"] == "customer" and "amount" not in customer and "currency" not in customer


def test_adyen_authorisation_is_the_payment_itself():
    notification = events.adyen_notification(
        "AUTHORISATION", "PSPSHAPE00000001", 1000, "eur", event_date="2026-12-01T12:00:00+01:00"
    )
    assert notification["live"] == "false"
    (entry,) = notification["notificationItems"]
    item = entry["NotificationRequestItem"]
    assert item["pspReference"] == "PSPSHAPE00000001" and "originalReference" not in item
    assert item["amount"] == {"currency": "EUR", "value": 1000}
    assert item["eventCode"] == "AUTHORISATION" and item["success"] == "true"
    assert item["eventDate"] == "2026-12-01T12:00:00+01:00"


@pytest.mark.parametrize("code", ["CAPTURE", "REFUND", "CANCELLATION", "CHARGEBACK"])
def test_adyen_modifications_reference_the_payment(code):
    item = events.adyen_notification(code, "PSPSHAPE00000001", 1000, "EUR")["notificationItems"][0][
        "NotificationRequestItem"
    ]
    assert item["originalReference"] == "PSPSHAPE00000001"
    assert re.fullmatch(r"[A-Z0-9]{16}", item["pspReference"]) and item["pspReference"] != "PSPSHAPE00000001"


def test_adyen_failed_authorisation():
    item = events.adyen_notification("AUTHORISATION", "P1", 1, "EUR", success=False)["notificationItems"][0][
        "NotificationRequestItem"
    ]
    assert item["success"] == "false" and item["reason"]


@pytest.mark.parametrize("text", ["1999", "-5", "0"])
def test_minor_units_accepts_integer_literals(text):
    assert events.minor_units(text) == int(text)


@pytest.mark.parametrize("text", ["19.99", "1e3", "", "abc", "0x10"])
def test_minor_units_refuses_anything_else(text):
    with pytest.raises(ValueError, match="minor units"):
        events.minor_units(text)


@pytest.mark.parametrize("amount", ["1234567890123456789.01", "0.1", "1E-130", "-0.00", '"12.50"', "100"])
def test_standard_amounts_are_sent_verbatim(amount):
    body = events.build_payload("tx-1", amount, "usd")
    assert f'"amount": {amount}'.encode() in body


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "12,50", "1.2.3", "", "0x10", "{"])
def test_standard_amounts_that_are_not_json_are_refused(amount):
    with pytest.raises(ValueError):
        events.build_payload("tx-1", amount, "usd")
