"""webhook.providers.adyen: per-item HMAC (against Adyen's SDK), verify-all-before-use, mapping."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.provider_signing import ADYEN_HMAC_KEY, adyen_body, adyen_is_valid, adyen_item, sample, sign_adyen_items
from webhook.errors import FieldError
from webhook.providers import adyen as provider
from webhook.signature import SignatureError

KEY = bytes.fromhex(ADYEN_HMAC_KEY)
OTHER_KEY = "00" * 32


def verify(body: bytes, keys: tuple[bytes, ...] = (KEY,)) -> Any:
    return provider.verify({}, body, keys, tolerance_seconds=300, now=0)


def records(*items: dict[str, Any]) -> tuple[Any, ...]:
    return provider.map_delivery(verify(adyen_body(items))).records


# --- signature ---------------------------------------------------------------------------


def test_sdk_signed_items_verify_and_agree_with_the_sdk_verifier() -> None:
    items = sign_adyen_items([adyen_item(), adyen_item(pspReference="X2", eventCode="CAPTURE")])
    assert all(adyen_is_valid(item) for item in items)
    body = json.dumps({"live": "false", "notificationItems": [{"NotificationRequestItem": i} for i in items]})
    delivery = verify(body.encode())
    assert [i["pspReference"] for i in delivery.body] == ["QFQTPCQ8HXSKGK82", "X2"]


def test_key_is_hex_decoded() -> None:
    assert provider.decode_secret(ADYEN_HMAC_KEY) == KEY
    assert provider.decode_secret(ADYEN_HMAC_KEY.lower()) == KEY
    for bad in ("xyz", "abc", ""):
        assert provider.decode_secret(bad) is None


def test_signed_payload_is_the_eight_fields_in_order() -> None:
    import base64
    import hashlib
    import hmac

    item = adyen_item(originalReference="ORIG1")
    payload = "QFQTPCQ8HXSKGK82:ORIG1:YOUR_MERCHANT_ACCOUNT:order-6735:1130:EUR:AUTHORISATION:true"
    mac = base64.b64encode(hmac.new(KEY, payload.encode(), hashlib.sha256).digest()).decode()
    assert sign_adyen_items([item])[0]["additionalData"]["hmacSignature"] == mac
    body = json.dumps(
        {"notificationItems": [{"NotificationRequestItem": {**item, "additionalData": {"hmacSignature": mac}}}]}
    )
    assert verify(body.encode())


def test_absent_fields_sign_as_empty_strings() -> None:
    item = adyen_item(merchantReference=None, originalReference=None)
    assert "merchantReference" not in item
    assert verify(adyen_body([item]))


@pytest.mark.parametrize(
    "field", ["pspReference", "merchantAccountCode", "merchantReference", "eventCode", "success", "amount"]
)
def test_every_signed_field_is_covered(field: str) -> None:
    (item,) = sign_adyen_items([adyen_item()])
    tampered = {**item, field: {"value": 1131, "currency": "EUR"} if field == "amount" else "false"}
    body = json.dumps({"notificationItems": [{"NotificationRequestItem": tampered}]}).encode()
    with pytest.raises(SignatureError):
        verify(body)


def test_unsigned_fields_are_not_covered_as_in_adyens_scheme() -> None:
    (item,) = sign_adyen_items([adyen_item()])
    item["eventDate"] = "2030-01-01T00:00:00Z"
    body = json.dumps({"notificationItems": [{"NotificationRequestItem": item}]}).encode()
    assert verify(body)


def test_every_item_must_verify_not_only_the_first() -> None:
    good = sign_adyen_items([adyen_item()])[0]
    bad = sign_adyen_items([adyen_item(pspReference="X2")], OTHER_KEY)[0]
    body = json.dumps({"notificationItems": [{"NotificationRequestItem": i} for i in (good, bad)]}).encode()
    with pytest.raises(SignatureError):
        verify(body)


def test_rotation_each_item_against_any_key() -> None:
    body = adyen_body([adyen_item()], key=OTHER_KEY)
    assert verify(body, (KEY, bytes.fromhex(OTHER_KEY)))
    with pytest.raises(SignatureError):
        verify(body, (KEY,))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"live": "false"}',
        b'{"notificationItems": []}',
        b'{"notificationItems": {}}',
        b'{"notificationItems": [{}]}',
        b'{"notificationItems": [{"NotificationRequestItem": "x"}]}',
        b'{"notificationItems": [{"NotificationRequestItem": {"pspReference": "A"}}]}',
        b'{"notificationItems": [{"NotificationRequestItem": {"additionalData": {"hmacSignature": "!!"}}}]}',
        b'{"notificationItems": [{"NotificationRequestItem": {"additionalData": {"hmacSignature": "AAAA"}}}]}',
    ],
)
def test_undecodable_or_itemless_or_unsigned_bodies_are_401(body: bytes) -> None:
    with pytest.raises(SignatureError):
        verify(body)


def test_an_object_where_a_signed_field_should_be_cannot_verify() -> None:
    (item,) = sign_adyen_items([adyen_item()])
    item["merchantReference"] = {"a": 1}
    body = json.dumps({"notificationItems": [{"NotificationRequestItem": item}]}).encode()
    with pytest.raises(SignatureError):
        verify(body)


def test_non_canonical_base64_signature_does_not_match_as_in_the_sdk() -> None:
    (item,) = sign_adyen_items([adyen_item()])
    text = item["additionalData"]["hmacSignature"]
    assert text.endswith("=") and len(text) == 44  # 32 bytes: the last character carries 2 spare bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(text[-2])
    variant = text[:-2] + alphabet[last ^ 1] + "="  # same bytes once decoded, different text
    import base64 as b64

    assert b64.b64decode(variant) == b64.b64decode(text) and variant != text
    item["additionalData"]["hmacSignature"] = variant
    body = json.dumps({"notificationItems": [{"NotificationRequestItem": item}]}).encode()
    assert not adyen_is_valid(item)
    with pytest.raises(SignatureError):
        verify(body)


def test_no_keys_nothing_verifies() -> None:
    with pytest.raises(SignatureError):
        verify(adyen_body([adyen_item()]), ())


# --- mapping -----------------------------------------------------------------------------


def test_authorisation_maps_to_a_record() -> None:
    (record,) = records(adyen_item())
    tx = record.transaction
    assert tx.transaction_id == "QFQTPCQ8HXSKGK82"
    assert record.event_id == "AUTHORISATION:QFQTPCQ8HXSKGK82:true"
    assert (tx.amount, tx.currency, tx.status, tx.provider) == (Decimal("11.30"), "EUR", "AUTHORISATION", "adyen")
    assert str(tx.amount) == "11.30" and record.amount_minor == 1130 and record.success is True
    assert tx.timestamp == "2026-12-01T11:00:00+01:00"  # as sent
    assert record.event_time == "2026-12-01T10:00:00.000Z"  # UTC, for the payment status
    assert record.scheme == "adyen"


def test_capture_is_keyed_by_its_original_reference() -> None:
    item = sample("adyen_capture.json")["notificationItems"][0]["NotificationRequestItem"]
    (record,) = records(item)
    assert record.transaction.transaction_id == "QFQTPCQ8HXSKGK82"
    assert record.event_id == "CAPTURE:V4HZ4RBFJGXXGN82:true"


def test_failed_authorisation() -> None:
    (record,) = records(adyen_item(success="false"))
    assert record.success is False and record.event_id.endswith(":false")


@pytest.mark.parametrize(
    ("currency", "value", "amount"),
    [
        ("EUR", 1130, "11.30"),
        ("CLP", 1999, "19.99"),
        ("CVE", 1999, "1999"),
        ("ISK", 100, "1.00"),
        ("IDR", 5000, "5000"),
        ("JPY", 1999, "1999"),
        ("KWD", 1999, "1.999"),
        ("IQD", 1, "0.001"),
    ],
)
def test_amount_by_adyens_table(currency: str, value: int, amount: str) -> None:
    (record,) = records(adyen_item(amount={"currency": currency, "value": value}))
    assert str(record.transaction.amount) == amount and record.amount_minor == value


def test_batch_maps_every_item() -> None:
    result = records(
        adyen_item(), adyen_item(pspReference="X2", eventCode="CAPTURE", originalReference="QFQTPCQ8HXSKGK82")
    )
    assert [r.event_id for r in result] == ["AUTHORISATION:QFQTPCQ8HXSKGK82:true", "CAPTURE:X2:true"]
    assert {r.transaction.transaction_id for r in result} == {"QFQTPCQ8HXSKGK82"}
    assert all(r.raw_event == result[0].raw_event for r in result)  # the body text exactly as received


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"success": "yes"}, "success"),
        ({"success": None}, "success"),
        ({"pspReference": None}, "pspReference"),
        ({"eventCode": None}, "eventCode"),
        ({"amount": None}, "amount"),
        ({"amount": {"currency": "EUR", "value": "1130"}}, "amount"),
        ({"amount": {"currency": "EUR", "value": 11.3}}, "amount"),
        ({"amount": {"currency": "ZZZ", "value": 1}}, "currency"),
        ({"pspReference": "has space"}, "transactionId"),
        ({"eventDate": "2026-12-01 11:00:00"}, "eventDate"),
    ],
)
def test_invalid_items_are_400_naming_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(FieldError) as info:
        records(adyen_item(**fields))
    assert info.value.field == field and info.value.status == 400


def test_one_invalid_item_refuses_the_whole_batch() -> None:
    with pytest.raises(FieldError):
        records(adyen_item(), adyen_item(pspReference="X2", success="maybe"))


def test_event_date_absent_means_processing_time() -> None:
    (record,) = records(adyen_item(eventDate=None))
    assert record.transaction.timestamp is None and record.event_time is None


def test_respond_is_accepted_text() -> None:
    response = provider.respond(provider.map_delivery(verify(adyen_body([adyen_item()]))), [])
    assert response["statusCode"] == 200 and response["body"] == "[accepted]"
    assert response["headers"]["content-type"].startswith("text/plain")
