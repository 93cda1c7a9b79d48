"""Regenerate the saved sample events in this folder.

    PYTHONPATH=lambda_src python -m tests.events.make_events   (from the repository root)

They are Lambda Function URL (payload format 2.0) events signed with the
test-only secret in ``tests/conftest.py`` at fixed times; tests verify them
with a clock pinned to ``CLOCK`` (see ``README.md`` here).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import build_event

HERE = Path(__file__).resolve().parent

CLOCK = 1767268900  # 2026-01-01T12:01:40Z

PAYMENT = (
    '{"transactionId": "txn_2026_0001", "amount": 150.50, "currency": "usd", '
    '"status": "succeeded", "provider": "acme-pay", "timestamp": "2026-01-01T12:00:00Z", '
    '"customer": {"id": "cus_42", "riskScore": 0.1, "history": [99.99, 1E+3, -0.0]}, '
    '"fees": [{"kind": "processing", "rate": 0.029, "fixed": 0.30}]}'
)
BINARY_PAYMENT = (
    '{"transactionId": "txn_2026_0002", "amount": 1234567890.123456789, '
    '"currency": "EUR", "status": "pending", "provider": "acme-pay", '
    '"note": "Zahlung f\u00fcr Bestellung \u2116 7"}'
)


def main() -> None:
    events = {
        "function_url_event.json": build_event(PAYMENT, webhook_id="msg_2Yh7dQ0001", timestamp=1767268800),
        "function_url_base64_event.json": build_event(
            BINARY_PAYMENT.encode("utf-8"),
            webhook_id="msg_2Yh7dQ0002",
            timestamp=1767268860,
            base64_encoded=True,
        ),
        # Same webhook-id and body as the first event; new timestamp and signature.
        "redelivery_event.json": build_event(PAYMENT, webhook_id="msg_2Yh7dQ0001", timestamp=1767268880),
    }
    events["function_url_base64_event.json"]["headers"]["content-type"] = "application/octet-stream"
    for name, event in events.items():
        event["requestContext"]["requestId"] = name.removesuffix(".json")
        (HERE / name).write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
