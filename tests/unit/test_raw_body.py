from __future__ import annotations

import base64
import gzip
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest

from webhook.config import ConfigError, load_settings
from webhook.raw_body import (
    GZIP_ATTRIBUTE,
    MAX_RATIO,
    MIN_COMPRESS_BYTES,
    TEXT_ATTRIBUTE,
    RawBodyError,
    body_attribute,
    raw_event_text,
    raw_event_text_from_json,
)
from webhook.recording import expires_at
from webhook.storage import StoredEvent
from webhook.validation import Transaction

EVENTS = Path(__file__).resolve().parent.parent / "events"


def item_of(text: str) -> dict[str, object]:
    name, value = body_attribute(text)
    return {name: value}


def test_small_bodies_stay_text() -> None:
    body = '{"transactionId": "t", "amount": 0.1}'
    assert item_of(body) == {TEXT_ATTRIBUTE: {"S": body}}


def test_a_stripe_event_is_stored_as_gzip_of_its_exact_bytes() -> None:
    body = (EVENTS / "stripe_payment_intent_succeeded.json").read_text()
    assert len(body.encode()) >= MIN_COMPRESS_BYTES
    item = item_of(body)
    assert list(item) == [GZIP_ATTRIBUTE]
    assert gzip.decompress(item[GZIP_ATTRIBUTE]["B"]) == body.encode()  # type: ignore[index]
    assert raw_event_text(item) == body


def test_the_size_threshold_decides_for_compressible_bodies() -> None:
    below, at = "x" * (MIN_COMPRESS_BYTES - 1), "x" * MIN_COMPRESS_BYTES  # both shrink to ~30 bytes
    assert body_attribute(below) == (TEXT_ATTRIBUTE, {"S": below})
    assert body_attribute(at)[0] == GZIP_ATTRIBUTE


def test_an_incompressible_body_stays_text() -> None:
    digests = b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(200))
    body = "".join(chr(0x21 + byte % 94) for byte in digests)  # printable ASCII, close to random
    assert len(gzip.compress(body.encode(), mtime=0)) > MAX_RATIO * len(body)
    assert body_attribute(body) == (TEXT_ATTRIBUTE, {"S": body})


def test_the_same_body_always_gives_the_same_bytes() -> None:
    body = (EVENTS / "stripe_charge_refunded.json").read_text()
    assert body_attribute(body) == body_attribute(body)  # mtime=0: no clock in the gzip header


def test_bodies_gzip_saves_too_little_on_stay_text(monkeypatch: pytest.MonkeyPatch) -> None:
    body = (EVENTS / "stripe_payment_intent_succeeded.json").read_text()  # gzip: ~40 % of it
    monkeypatch.setattr("webhook.raw_body.MAX_RATIO", 0.3)
    assert body_attribute(body) == (TEXT_ATTRIBUTE, {"S": body})


@pytest.mark.parametrize("size", [MIN_COMPRESS_BYTES, 256 * 1024])
def test_round_trip_is_exact_for_non_ascii_and_the_largest_body(size: int) -> None:
    unit = '{"name": "Zoë 💶 ünïcode", "amount": 19.990000000000000000000000000000000001}'
    body = (unit * (size // len(unit) + 1))[:size]
    item = item_of(body)
    assert GZIP_ATTRIBUTE in item and TEXT_ATTRIBUTE not in item
    assert raw_event_text(item) == body
    json_form = {GZIP_ATTRIBUTE: {"B": base64.b64encode(item[GZIP_ATTRIBUTE]["B"]).decode()}}  # type: ignore[index]
    assert raw_event_text_from_json(json_form) == body


def test_an_item_holds_exactly_one_body_attribute() -> None:
    with pytest.raises(RawBodyError):
        raw_event_text({})
    with pytest.raises(RawBodyError):
        raw_event_text({TEXT_ATTRIBUTE: {"S": "x"}, GZIP_ATTRIBUTE: {"B": gzip.compress(b"x")}})
    with pytest.raises(RawBodyError):
        raw_event_text({GZIP_ATTRIBUTE: {"B": b"not gzip"}})


def test_stored_event_item_has_one_body_attribute() -> None:
    tx = Transaction("t", Decimal("1"), "USD", "succeeded", "stripe", None)
    big = json.dumps({"pad": "x" * 4000})
    item = StoredEvent(tx, "e", "2026-01-01T00:00:00.000Z", big).to_item()
    assert GZIP_ATTRIBUTE in item and TEXT_ATTRIBUTE not in item
    assert raw_event_text(item) == big
    assert "expiresAt" not in item


def test_expires_at_is_floor_of_processed_at_plus_days() -> None:
    assert expires_at("2026-12-01T11:00:00.999Z", 1) == 1796122800 + 86_400
    assert expires_at("1970-01-01T00:00:00.000Z", 30) == 30 * 86_400


def test_stored_event_carries_expires_at_when_given() -> None:
    tx = Transaction("t", Decimal("1"), "USD", "succeeded", "stripe", None)
    item = StoredEvent(tx, "e", "2026-01-01T00:00:00.000Z", "{}", expires_at=123).to_item()
    assert item["expiresAt"] == {"N": "123"}


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "abc", "36501"])
def test_event_retention_days_is_validated(value: str) -> None:
    with pytest.raises(ConfigError, match="EVENT_RETENTION_DAYS"):
        load_settings({"TABLE_NAME": "t", "EVENT_RETENTION_DAYS": value})


def test_event_retention_days_unset_or_set() -> None:
    assert load_settings({"TABLE_NAME": "t"}).event_retention_days is None
    assert load_settings({"TABLE_NAME": "t", "EVENT_RETENTION_DAYS": " 90 "}).event_retention_days == 90
