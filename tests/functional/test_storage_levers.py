"""Storage levers through handler.handler on moto: the body kept as gzip where it pays, and expiresAt.

Every item read back here is restored with :func:`webhook.raw_body.raw_event_text`, as
every reader of the table does; the item's attribute sizes are DynamoDB's own (moto).
"""

from __future__ import annotations

import gzip
import json
import math
from typing import Any

import pytest

import handler as handler_module
from tests.provider_signing import sample, stripe_event, stripe_payment
from webhook import wiring
from webhook.raw_body import GZIP_ATTRIBUTE, TEXT_ATTRIBUTE, raw_event_text
from webhook.service import WebhookService

CLOCK = 1_767_268_899.875  # fractional: expiresAt counts from floor(processedAt)
DAY = 86_400
TX = "pi_3MtwBwLkdIwHu7ix28a3tqPa"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [CLOCK]
    service = WebhookService(wiring.from_environment, clock=lambda: now[0], enabled=wiring.enabled)
    monkeypatch.setattr(handler_module, "_service", service)
    return now


@pytest.fixture
def retention(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("EVENT_RETENTION_DAYS", "30")
    wiring.reset(clients=False)
    return 30


def deliver(call: Any, event: dict[str, Any], now: float) -> tuple[int, dict[str, Any]]:
    response = call(stripe_event(event, timestamp=int(now)))
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.usefixtures("providers")
def test_a_stripe_event_is_kept_as_gzip_and_expires_after_the_retention(
    aws: Any, call: Any, clock: list[float], retention: int, payments_table: str
) -> None:
    event = sample("stripe_payment_intent_succeeded.json")
    delivery = stripe_event(event, timestamp=int(clock[0]))
    assert call(delivery)["statusCode"] == 200
    item = aws.get(TX, event["id"])
    assert item is not None
    assert GZIP_ATTRIBUTE in item and TEXT_ATTRIBUTE not in item
    assert gzip.decompress(item[GZIP_ATTRIBUTE]["B"]) == delivery["body"].encode()
    assert raw_event_text(item) == delivery["body"]
    assert item["processedAt"] == {"S": "2026-01-01T12:01:39.875Z"}
    assert item["expiresAt"] == {"N": str(math.floor(CLOCK) + retention * DAY)}
    payment = aws.ddb.get_item(TableName=payments_table, Key={"transactionId": {"S": TX}})["Item"]
    assert "expiresAt" not in payment  # payments never expire


@pytest.mark.usefixtures("providers")
def test_a_redelivery_keeps_the_first_expiry(aws: Any, call: Any, clock: list[float], retention: int) -> None:
    event = stripe_payment(event_id="evt_ttl_once")
    assert deliver(call, event, clock[0]) == (200, {"status": "accepted", "transactionId": TX, "eventId": event["id"]})
    first = aws.get(TX, event["id"])
    clock[0] += 2 * DAY  # Stripe retries for up to three days
    assert deliver(call, event, clock[0])[1]["status"] == "duplicate"
    again = aws.get(TX, event["id"])
    assert again == first
    assert again is not None and again["expiresAt"] == {"N": str(math.floor(CLOCK) + retention * DAY)}


@pytest.mark.usefixtures("providers")
def test_without_retention_nothing_expires(aws: Any, call: Any, clock: list[float]) -> None:
    event = stripe_payment(event_id="evt_forever")
    assert deliver(call, event, clock[0])[0] == 200
    item = aws.get(TX, event["id"])
    assert item is not None and "expiresAt" not in item


def utf8_body(event: dict[str, Any], size: int) -> bytes:
    """``event`` as UTF-8 JSON (non-ASCII kept as is), padded by a description to exactly ``size`` bytes."""
    event["data"]["object"]["description"] = ""
    base = len(json.dumps(event, ensure_ascii=False, indent=2).encode())
    unit = "Zoë 💶 ünïcode "
    pad = (unit * (size // len(unit.encode()) + 1)).encode()[: size - base].decode("utf-8", "ignore")
    event["data"]["object"]["description"] = pad + " " * (size - base - len(pad.encode()))
    body = json.dumps(event, ensure_ascii=False, indent=2).encode()
    assert len(body) == size
    return body


@pytest.mark.usefixtures("providers")
def test_a_largest_non_ascii_body_comes_back_exactly(aws: Any, call: Any, clock: list[float]) -> None:
    event = stripe_payment(event_id="evt_256k")
    body = utf8_body(event, 256 * 1024)  # the largest body the function accepts
    delivery = stripe_event(body, timestamp=int(clock[0]))
    assert call(delivery)["statusCode"] == 200
    item = aws.get(TX, event["id"])
    assert item is not None and TEXT_ATTRIBUTE not in item
    assert gzip.decompress(item[GZIP_ATTRIBUTE]["B"]) == body
    assert raw_event_text(item) == body.decode("utf-8")


@pytest.mark.usefixtures("providers")
def test_a_small_body_stays_readable_text(aws: Any, call: Any, clock: list[float]) -> None:
    event = {"id": "evt_small", "type": "charge.succeeded", "created": 1, "livemode": False}
    event["data"] = {"object": {"id": "ch_small", "amount": 1, "currency": "eur", "description": "Zoë"}}
    body = json.dumps(event, ensure_ascii=False).encode()
    assert call(stripe_event(body, timestamp=int(clock[0])))["statusCode"] == 200
    item = aws.get("ch_small", "evt_small")
    assert item is not None and GZIP_ATTRIBUTE not in item
    assert item[TEXT_ATTRIBUTE] == {"S": body.decode("utf-8")} == {"S": raw_event_text(item)}
