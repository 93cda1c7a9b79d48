"""The saved sample events in tests/events/, end to end against moto."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import handler as handler_module
from webhook import wiring
from webhook.raw_body import raw_event_text
from webhook.service import WebhookService
from webhook.timestamps import utc_from_epoch

CLOCK = 1767268900  # the time the saved events are verified at (tests/events/make_events.py)


def load(events_dir: Path, name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((events_dir / name).read_text())
    return event


@pytest.fixture
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        handler_module, "_service", WebhookService(wiring.from_environment, clock=lambda: CLOCK, enabled=wiring.enabled)
    )


def test_saved_events_are_stale_at_real_time(aws: Any, invoke: Any, events_dir: Path) -> None:
    result = invoke(load(events_dir, "function_url_event.json"))
    assert result.status == 401
    assert "too old" in result.body["error"]["message"]
    assert aws.items() == []


@pytest.mark.usefixtures("pinned_clock")
def test_function_url_event_is_stored_exactly(aws: Any, invoke: Any, events_dir: Path) -> None:
    event = load(events_dir, "function_url_event.json")
    result = invoke(event)
    assert (result.status, result.body) == (
        200,
        {"status": "accepted", "transactionId": "txn_2026_0001", "eventId": "msg_2Yh7dQ0001"},
    )
    item = aws.get("txn_2026_0001", "msg_2Yh7dQ0001")
    assert item is not None
    assert Decimal(item["amount"]["N"]) == Decimal("150.50")
    assert raw_event_text(item) == event["body"]
    assert '"amount": 150.50,' in raw_event_text(item)
    assert item["currency"] == {"S": "USD"}
    assert item["status"] == {"S": "succeeded"}
    assert item["provider"] == {"S": "acme-pay"}
    assert item["timestamp"] == {"S": "2026-01-01T12:00:00Z"}
    assert item["processedAt"] == {"S": utc_from_epoch(CLOCK)}


@pytest.mark.usefixtures("pinned_clock")
def test_base64_event_is_decoded_before_verifying(aws: Any, invoke: Any, events_dir: Path) -> None:
    event = load(events_dir, "function_url_base64_event.json")
    assert event["isBase64Encoded"] is True
    result = invoke(event)
    assert result.status == 200, result.body
    item = aws.get("txn_2026_0002", "msg_2Yh7dQ0002")
    assert item is not None
    assert raw_event_text(item) == base64.b64decode(event["body"]).decode("utf-8")
    assert Decimal(item["amount"]["N"]) == Decimal("1234567890.123456789")
    assert item["amount"]["N"].replace(".", "").strip("0") == "1234567890123456789"
    assert item["status"] == {"S": "pending"}


@pytest.mark.usefixtures("pinned_clock")
def test_redelivery_is_a_duplicate_and_not_written_twice(aws: Any, invoke: Any, events_dir: Path) -> None:
    first = load(events_dir, "function_url_event.json")
    again = load(events_dir, "redelivery_event.json")
    assert again["headers"]["webhook-id"] == first["headers"]["webhook-id"]
    assert again["headers"]["webhook-signature"] != first["headers"]["webhook-signature"]
    assert invoke(first).body["status"] == "accepted"
    before = aws.get("txn_2026_0001", "msg_2Yh7dQ0001")
    result = invoke(again)
    assert (result.status, result.body) == (
        200,
        {"status": "duplicate", "transactionId": "txn_2026_0001", "eventId": "msg_2Yh7dQ0001"},
    )
    assert len(aws.items()) == 1
    assert aws.get("txn_2026_0001", "msg_2Yh7dQ0001") == before


@pytest.mark.usefixtures("pinned_clock")
def test_tampered_saved_event_is_401(aws: Any, invoke: Any, events_dir: Path) -> None:
    event = load(events_dir, "function_url_event.json")
    event["body"] = event["body"].replace("150.50", "150.51")
    assert invoke(event).status == 401
    assert aws.items() == []
