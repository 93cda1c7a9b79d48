"""behaviour.md "Providers" ``/adyen`` through handler.handler on moto, items signed by Adyen's SDK."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from botocore.stub import Stubber

from tests.provider_signing import ADYEN_HMAC_KEY, adyen_body, adyen_event, adyen_item, sample, sign_adyen_items
from webhook import aws as aws_clients
from webhook.raw_body import raw_event_text

PSP = "QFQTPCQ8HXSKGK82"


def accepted(response: dict[str, Any]) -> bool:
    return response["statusCode"] == 200 and response["body"] == "[accepted]"


def error(response: dict[str, Any]) -> tuple[int, str]:
    assert response["headers"]["content-type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])["error"]["code"]


def test_sample_notification_is_stored_and_acknowledged(aws: Any, providers: Any, call: Any) -> None:
    items = sample("adyen_authorisation.json")["notificationItems"]
    delivery = adyen_event([items[0]["NotificationRequestItem"]])
    response = call(delivery)
    assert accepted(response) and response["headers"]["content-type"].startswith("text/plain")
    item = aws.get(PSP, f"AUTHORISATION:{PSP}:true")
    assert item is not None
    assert item["amount"] == {"N": "11.30"} and item["amountMinor"] == {"N": "1130"}
    assert item["currency"] == {"S": "EUR"} and item["status"] == {"S": "AUTHORISATION"}
    assert item["provider"] == {"S": "adyen"} and item["success"] == {"BOOL": True}
    assert item["timestamp"] == {"S": "2026-12-01T11:00:00+01:00"}
    assert raw_event_text(item) == delivery["body"]


def test_batch_every_item_is_stored(aws: Any, providers: Any, call: Any) -> None:
    capture = sample("adyen_capture.json")["notificationItems"][0]["NotificationRequestItem"]
    batch = [adyen_item(), capture, adyen_item(pspReference="OTHER1", success="false")]
    assert accepted(call(adyen_event(batch)))
    keys = sorted((i["transactionId"]["S"], i["eventId"]["S"]) for i in aws.items())
    assert keys == [
        ("OTHER1", "AUTHORISATION:OTHER1:false"),
        (PSP, f"AUTHORISATION:{PSP}:true"),
        (PSP, "CAPTURE:V4HZ4RBFJGXXGN82:true"),
    ]
    assert aws.get("OTHER1", "AUTHORISATION:OTHER1:false")["success"] == {"BOOL": False}  # type: ignore[index]


def test_redelivery_is_accepted_and_stored_once(aws: Any, providers: Any, call: Any) -> None:
    delivery = adyen_event([adyen_item(), adyen_item(pspReference="P2")])
    assert accepted(call(delivery)) and accepted(call(delivery))
    assert aws.count() == 2


@pytest.mark.parametrize(
    ("currency", "value", "stored"), [("CLP", 1999, "19.99"), ("CVE", 1999, "1999"), ("ISK", 1999, "19.99")]
)
def test_adyens_own_exponents(aws: Any, providers: Any, call: Any, currency: str, value: int, stored: str) -> None:
    assert accepted(call(adyen_event([adyen_item(amount={"currency": currency, "value": value})])))
    (item,) = aws.items()
    assert Decimal(item["amount"]["N"]) == Decimal(stored) and item["amountMinor"] == {"N": str(value)}


def test_one_unverifiable_item_is_401_and_nothing_is_stored(aws: Any, providers: Any, call: Any) -> None:
    good = sign_adyen_items([adyen_item()])[0]
    bad = sign_adyen_items([adyen_item(pspReference="P2")], "00" * 32)[0]
    body = json.dumps({"live": "false", "notificationItems": [{"NotificationRequestItem": i} for i in (good, bad)]})
    assert error(call(adyen_event(body.encode()))) == (401, "invalid_signature")
    assert aws.items() == []


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"notificationItems": []}', b'{"notificationItems": [{}]}'])
def test_undecodable_or_itemless_body_is_401(aws: Any, providers: Any, call: Any, body: bytes) -> None:
    assert error(call(adyen_event(body))) == (401, "invalid_signature")


def test_an_invalid_item_after_verification_is_400_and_nothing_is_stored(aws: Any, providers: Any, call: Any) -> None:
    batch = [adyen_item(), adyen_item(pspReference="P2", amount={"currency": "EUR", "value": 11.3})]
    assert error(call(adyen_event(batch))) == (400, "invalid_field")
    assert aws.items() == []


def test_failure_midway_is_5xx_and_the_retry_completes_the_batch(aws: Any, providers: Any, call: Any) -> None:
    delivery = adyen_event([adyen_item(), adyen_item(pspReference="P2"), adyen_item(pspReference="P3")])
    ddb = aws_clients.client("dynamodb")
    real_put = ddb.put_item
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            with Stubber(ddb) as stub:
                stub.add_client_error("put_item", "InternalServerError", http_status_code=500)
                return real_put(**kwargs)
        return real_put(**kwargs)

    ddb.put_item = flaky  # type: ignore[method-assign]
    try:
        assert error(call(delivery)) == (503, "storage_unavailable")
    finally:
        del ddb.put_item
    assert aws.count() == 1  # the first item made it; Adyen retries the whole batch
    assert accepted(call(delivery))
    assert aws.count() == 3


def test_key_with_lower_case_hex_works(aws: Any, providers: Any, call: Any) -> None:
    providers.set_adyen(ADYEN_HMAC_KEY.lower())
    assert accepted(call(adyen_event([adyen_item()])))


def test_unusable_key_is_500(aws: Any, providers: Any, call: Any) -> None:
    providers.set_adyen("not-hex")
    assert error(call(adyen_event([adyen_item()]))) == (500, "secret_unavailable")


def test_the_body_is_decoded_only_after_the_size_check(aws: Any, providers: Any, call: Any) -> None:
    body = adyen_body([adyen_item(merchantReference="x" * (256 * 1024))])
    assert error(call(adyen_event(body))) == (413, "payload_too_large")


def test_each_item_may_verify_against_a_different_configured_key(aws: Any, providers: Any, call: Any) -> None:
    old = "11" * 32
    providers.set_adyen(f"{ADYEN_HMAC_KEY} {old}")
    items = sign_adyen_items([adyen_item()]) + sign_adyen_items([adyen_item(pspReference="P2")], old)
    body = json.dumps({"live": "false", "notificationItems": [{"NotificationRequestItem": i} for i in items]})
    assert accepted(call(adyen_event(body.encode())))
    assert aws.count() == 2
