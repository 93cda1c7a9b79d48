"""Bytes each stored event costs to keep: the event item and a payment item, by
DynamoDB's size rules (attribute names + values + 100 bytes of per-item overhead in
billed storage), for the repository's provider sample bodies — as the function stores
them (``rawEventGzip`` where it pays) and as plain text (``rawEvent`` always).

Run alone: ``PYTHONPATH=lambda_src python -m bench.storage`` prints the table.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

from bench.item_sizes import ITEM_OVERHEAD_BYTES, item_size, write_units
from webhook import raw_body
from webhook.payments import PaymentEvent
from webhook.storage import StoredEvent
from webhook.validation import Transaction

EVENTS = Path(__file__).resolve().parent.parent / "tests" / "events"
# The bench's payload mix (bench/mix.py: unsigned bodies, as the providers send them) and the docs' Stripe samples.
SAMPLES = (
    "stripe_payment_intent_succeeded.json",
    "stripe_charge_refunded.json",
    "stripe_fixture_payment_intent_succeeded.json",
    "stripe_fixture_charge_succeeded.json",
    "stripe_fixture_charge_refunded.json",
    "stripe_fixture_charge_dispute_created.json",
    "adyen_sdk_authorisation.json",
    "adyen_capture.json",
    "standard_payment.json",
)
PROCESSED_AT = "2026-12-01T11:00:00.000Z"


def body_of(name: str) -> str:
    text = (EVENTS / name).read_text()
    event = json.loads(text)
    body = event.get("body") if isinstance(event, dict) else None
    return body if isinstance(body, str) and "requestContext" in event else text


def _items(body: str) -> tuple[dict[str, Any], dict[str, Any]]:
    tx = Transaction("pi_3MtwBwLkdIwHu7ix28a3tqPa", Decimal("20.00"), "USD", "payment_intent.succeeded", "stripe", None)
    event = StoredEvent(tx, "evt_3MtwBwLkdIwHu7ix0snN0B15", PROCESSED_AT, body, amount_minor=2000)
    payment = PaymentEvent(
        transaction_id=tx.transaction_id,
        event_id=event.event_id,
        status="succeeded",
        provider_status=tx.status,
        provider=tx.provider,
        amount=tx.amount,
        currency=tx.currency,
        event_time=PROCESSED_AT,
    )
    return event.to_item(), payment.to_item(PROCESSED_AT)


def measure() -> dict[str, Any]:
    """Per sample and on average: stored bytes per event (event item + one payment item), both ways."""
    rows: dict[str, dict[str, int]] = {}
    for name in SAMPLES:
        body = body_of(name)
        stored, payment = _items(body)
        with mock.patch.object(raw_body, "MIN_COMPRESS_BYTES", 10**12):
            plain, _ = _items(body)
        rows[name] = {
            "body_bytes": len(body.encode()),
            "event_item_bytes": item_size(stored),
            "event_item_bytes_uncompressed": item_size(plain),
            "payment_item_bytes": item_size(payment),
            "write_units": write_units(item_size(stored)),
            "write_units_uncompressed": write_units(item_size(plain)),
        }

    def per_event(key: str) -> float:
        return sum(r[key] + r["payment_item_bytes"] + 2 * ITEM_OVERHEAD_BYTES for r in rows.values()) / len(rows)

    return {
        "storage_bytes_per_event": round(per_event("event_item_bytes"), 1),
        "storage_bytes_per_event_uncompressed": round(per_event("event_item_bytes_uncompressed"), 1),
        "samples": rows,
    }


def main() -> int:
    result = measure()
    print(f"{'sample':40} {'body':>6} {'item':>6} {'WRU':>4} {'text item':>10} {'WRU':>4} {'payment':>8}")
    for name, r in result["samples"].items():
        print(
            f"{name:40} {r['body_bytes']:6} {r['event_item_bytes']:6} {r['write_units']:4} "
            f"{r['event_item_bytes_uncompressed']:10} {r['write_units_uncompressed']:4} {r['payment_item_bytes']:8}"
        )
    stored, plain = result["storage_bytes_per_event"], result["storage_bytes_per_event_uncompressed"]
    print(f"storage_bytes_per_event {stored} (uncompressed {plain}, ratio {stored / plain:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
